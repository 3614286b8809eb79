// Check that BPMN files are valid for the bpmn.io tools (bpmn-js, Camunda Modeler):
// each file is read with bpmn-moddle, the model library those tools read BPMN with,
// and any warning it reports (unknown element or attribute, unresolved reference,
// wrong type) fails the check, as does a root other than bpmn:Definitions or a
// process without any flow element. Our own extension elements (crossdept:step,
// crossdept:approver) are read with their moddle descriptor,
// scripts/crossdept_moddle.json, so an attribute or element the interchange
// contract does not define fails too.
//
//     node scripts/check_bpmn.mjs FILE.bpmn...
import { readFile } from "node:fs/promises";
import { BpmnModdle } from "bpmn-moddle";

const files = process.argv.slice(2);
if (!files.length) {
    console.error("usage: node scripts/check_bpmn.mjs FILE.bpmn...");
    process.exit(2);
}

const descriptor = JSON.parse(
    await readFile(new URL("./crossdept_moddle.json", import.meta.url), "utf8"),
);
const moddle = new BpmnModdle({ crossdept: descriptor });
let failed = 0;
for (const file of files) {
    const problems = [];
    try {
        const xml = await readFile(file, "utf8");
        const { rootElement, warnings } = await moddle.fromXML(xml, "bpmn:Definitions");
        for (const warning of warnings) {
            problems.push(warning.message);
        }
        if (!rootElement || rootElement.$type !== "bpmn:Definitions") {
            problems.push(`root is ${rootElement && rootElement.$type}, not bpmn:Definitions`);
        }
        const processes = (rootElement.rootElements || []).filter(
            (element) => element.$type === "bpmn:Process",
        );
        if (!processes.length || !processes.some((p) => (p.flowElements || []).length)) {
            problems.push("no process with flow elements");
        }
        if (!(rootElement.diagrams || []).length) {
            problems.push("no diagram (BPMNDI)");
        }
    } catch (error) {
        problems.push(error.message);
    }
    if (problems.length) {
        failed += 1;
        console.error(`${file}: INVALID`);
        for (const problem of problems) {
            console.error(`  - ${problem}`);
        }
    } else {
        console.log(`${file}: valid`);
    }
}
if (failed) {
    console.error(`${failed} of ${files.length} BPMN files are not valid for bpmn.io tools`);
    process.exit(1);
}
console.log(`${files.length} BPMN files valid for bpmn.io tools`);
