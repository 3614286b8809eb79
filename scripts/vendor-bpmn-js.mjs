// Copy bpmn-js's prebuilt distribution (from node_modules, installed by `npm install`
// at the version package.json asks for) into the addon's static/lib/bpmn-js, with
// its licence and a VERSION file. Run with `npm run vendor`; commit the result.
// The bpmn.io licence asks that the bpmn.io watermark stays visible: the files are
// copied unchanged and the designer does not hide it.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "bpmn-js");
const target = join(root, "addons", "crossdept_ticket", "static", "lib", "bpmn-js");
const files = [
    "dist/bpmn-modeler.production.min.js",
    "dist/bpmn-navigated-viewer.production.min.js",
    "dist/assets/diagram-js.css",
    "dist/assets/bpmn-js.css",
    "dist/assets/bpmn-font/css/bpmn.css",
    "dist/assets/bpmn-font/font/bpmn.eot",
    "dist/assets/bpmn-font/font/bpmn.svg",
    "dist/assets/bpmn-font/font/bpmn.ttf",
    "dist/assets/bpmn-font/font/bpmn.woff",
    "dist/assets/bpmn-font/font/bpmn.woff2",
    "LICENSE",
];

const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
rmSync(target, { recursive: true, force: true });
for (const file of files) {
    const to = join(target, file.replace(/^dist\//, ""));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(source, file), to);
}
writeFileSync(join(target, "VERSION"), `bpmn-js ${version}\n`);
console.log(`bpmn-js ${version} copied to ${target}`);
