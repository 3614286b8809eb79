"""Read a BPMN 2.0 file into a plain graph of steps.

The other half of ``bpmn_export`` (see the interchange contract there): any task
becomes a step (an approval when its ``crossdept:step`` says so), lanes name the
departments, gateways and plain events collapse into predecessor links, the
conditions of sequence flows become run conditions and BPMNDI gives positions.
Everything else is listed in ``notes`` so that the importer can report it.

The file comes from outside, so it is read defensively, before and while parsing:
a size limit checked before anything else, no document type declaration (external
entities read server files, nested entities expand to gigabytes), lxml with entity
resolution, network access and DTD loading off and without ``huge_tree``, a limit
on the nesting depth checked while parsing, and a BPMN root.

``env`` is only used to translate messages (``env._``).
"""

import re
from io import BytesIO

from lxml import etree

from odoo.exceptions import UserError

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
CROSSDEPT = "https://schemas.crossdept.dev/bpmn/1.0"

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64  # BPMN files drawn by people nest a dozen levels; libxml2 stops at 256
NO_DEPARTMENT = "No department"

TASKS = {
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "scriptTask",
    "businessRuleTask",
}
PARALLEL = {"parallelGateway"}
APPROXIMATED_GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent"}
PASSED_EVENTS = {"intermediateThrowEvent", "intermediateCatchEvent"}
# process children that are not flow nodes and carry nothing to map
SILENT = {"laneSet", "sequenceFlow", "extensionElements", "documentation", "incoming", "outgoing"}
DEFINITIONS_NOT_MAPPED = ("message", "signal", "error", "escalation", "itemDefinition")
STEP_BOOLEANS = (
    "skip_when_urgent",
    "value_adding",
    "portal_visible",
    "allow_requester_approval",
    "require_decision_comment",
)
APPROVAL_POLICIES = ("all", "any", "count", "percent")
REJECT_ACTIONS = ("return", "cancel")
TIMEOUT_ACTIONS = ("none", "approve", "reject", "escalate")
# who approves (crossdept:approver source=...), the holder types of a RACI line
APPROVER_SOURCES = ("user", "department_manager", "department", "requester", "accountable")

_PROLOG_END = re.compile(rb"<[A-Za-z_:]")
_EXTERNAL_ENTITY = re.compile(rb"<!ENTITY[^>]*\b(SYSTEM|PUBLIC)\b")
_EXTERNAL_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*\b(SYSTEM|PUBLIC)\b")


def _q(ns, tag):
    return f"{{{ns}}}{tag}"


def _local(element):
    return etree.QName(element).localname


def _ns(element):
    return etree.QName(element).namespace


# ----------------------------------------------------------------------
# Hardened parse
# ----------------------------------------------------------------------


def _refuse_doctype(env, external=False, entities=False):
    """Refuse a document type declaration, naming what it declares."""
    if external:
        raise UserError(
            env._(
                "The file declares an external entity or document type (DOCTYPE with "
                "SYSTEM/PUBLIC): such a file could make the server read its own files or "
                "the network, so it is refused. BPMN files have no DOCTYPE."
            )
        )
    if entities:
        raise UserError(
            env._(
                "The file declares entities in a DOCTYPE: nested entities can expand to "
                "billions of characters (“billion laughs”), so it is refused. BPMN files "
                "have no DOCTYPE."
            )
        )
    raise UserError(
        env._("The file has a document type declaration (DOCTYPE); BPMN files have none.")
    )


def parse_xml(env, data, max_bytes=DEFAULT_MAX_BYTES, max_depth=MAX_DEPTH):
    """The root element of ``data`` (bytes), or a UserError naming why the file is
    refused."""
    if len(data) > max_bytes:
        raise UserError(
            env._(
                "The file is too large: %(size)s bytes, the limit is %(limit)s bytes "
                "(system parameter crossdept_ticket.bpmn_import_max_bytes).",
                size=len(data),
                limit=max_bytes,
            )
        )
    # the prolog of an ASCII-compatible file, before its first element
    match = _PROLOG_END.search(data)
    prolog = data[: match.start()] if match else data
    if b"<!DOCTYPE" in prolog:
        _refuse_doctype(
            env,
            external=bool(_EXTERNAL_DOCTYPE.search(prolog) or _EXTERNAL_ENTITY.search(prolog)),
            entities=b"<!ENTITY" in prolog,
        )
    depth = 0
    try:
        events = etree.iterparse(
            BytesIO(data),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        for event, _element in events:
            if event == "start":
                depth += 1
                if depth > max_depth:
                    raise UserError(
                        env._(
                            "The file nests its elements more than %(limit)s levels deep; "
                            "a BPMN diagram needs far fewer, so it is refused.",
                            limit=max_depth,
                        )
                    )
            else:
                depth -= 1
        root = events.root
    except etree.XMLSyntaxError as error:
        message = str(error)
        if "depth" in message.lower():
            raise UserError(
                env._(
                    "The file nests its elements more than %(limit)s levels deep; a BPMN "
                    "diagram needs far fewer, so it is refused.",
                    limit=max_depth,
                )
            ) from None
        if "entit" in message.lower():
            try:
                _refuse_doctype(env, external="external" in message.lower(), entities=True)
            except UserError as refusal:
                raise refusal from None
        raise UserError(
            env._("The file is not well-formed XML: %(error)s", error=message)
        ) from None
    # an encoding other than ASCII's (UTF-16) hides the DOCTYPE from the look above
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if docinfo.doctype or dtd is not None:
        entities = list(dtd.iterentities()) if dtd is not None else []
        _refuse_doctype(
            env,
            external=bool(
                docinfo.system_url
                or docinfo.public_id
                or any(entity.system_url for entity in entities)
            ),
            entities=bool(entities),
        )
    if root.tag != _q(BPMN, "definitions"):
        raise UserError(
            env._(
                "The file is not a BPMN 2.0 diagram: its root element is %(root)s, not "
                "bpmn:definitions (namespace %(namespace)s).",
                root=root.tag,
                namespace=BPMN,
            )
        )
    return root


# ----------------------------------------------------------------------
# Graph
# ----------------------------------------------------------------------


def _bool(value):
    return str(value).strip().lower() in ("true", "1", "yes")


def _number(value, kind):
    try:
        return kind(float(value))
    except (TypeError, ValueError):
        return None


class _Reader:
    def __init__(self, env, root):
        self.env = env
        self.root = root
        self.notes = []

    def note(self, element, message):
        self.notes.append(
            {
                "element": element.get("id") or "",
                "type": _local(element),
                "name": element.get("name") or "",
                "message": message,
            }
        )

    def processes(self):
        """The processes to import: every process with a task (a pool of a
        collaboration each), in the order of the pools. A process or pool without
        a task is noted, unless no process has one (the caller refuses that)."""
        processes = self.root.findall(_q(BPMN, "process"))
        if not processes:
            raise UserError(self.env._("The BPMN file has no process (bpmn:process) to import."))
        by_id = {process.get("id"): process for process in processes}
        ordered = []
        collaboration = self.root.find(_q(BPMN, "collaboration"))
        if collaboration is not None:
            for participant in collaboration.findall(_q(BPMN, "participant")):
                process = by_id.get(participant.get("processRef"))
                if process is None:
                    self.note(
                        participant,
                        self.env._("Not mapped: the pool has no process (a black box pool)."),
                    )
                elif process not in ordered:
                    ordered.append(process)
        ordered += [process for process in processes if process not in ordered]
        chosen = [p for p in ordered if any(_local(c) in TASKS for c in p if _ns(c) == BPMN)]
        for other in ordered:
            if chosen and other not in chosen:
                self.note(other, self.env._("Not mapped: the process has no task."))
        for element in self.root:
            if _ns(element) == BPMN and _local(element) in DEFINITIONS_NOT_MAPPED:
                self.note(element, self.env._("Not mapped: CrossDept has no such element."))
        if collaboration is not None:
            for element in collaboration:
                if _local(element) in ("messageFlow", "conversation", "textAnnotation"):
                    self.note(element, self.env._("Not mapped: CrossDept has no such element."))
        return chosen or ordered[:1]

    def lanes(self, process):
        """{node id: lane name} from the innermost lane naming the node."""
        lane_of = {}

        def walk(lane_set):
            for lane in lane_set.findall(_q(BPMN, "lane")):
                name = (lane.get("name") or "").strip()
                for ref in lane.findall(_q(BPMN, "flowNodeRef")):
                    lane_of[(ref.text or "").strip()] = name
                child = lane.find(_q(BPMN, "childLaneSet"))
                if child is not None:
                    walk(child)

        for lane_set in process.findall(_q(BPMN, "laneSet")):
            walk(lane_set)
        return lane_of

    def positions(self):
        """{element id: (x, y)} of the shapes of the first diagram."""
        positions = {}
        for shape in self.root.iter(_q(BPMNDI, "BPMNShape")):
            bounds = shape.find(_q(DC, "Bounds"))
            if bounds is None:
                continue
            x, y = _number(bounds.get("x"), float), _number(bounds.get("y"), float)
            if x is not None and y is not None:
                positions.setdefault(shape.get("bpmnElement"), (round(x), round(y)))
        return positions

    def step_settings(self, task):
        """The ``crossdept:step`` of a task as step values, and its approvers."""
        extension = task.find(_q(BPMN, "extensionElements"))
        settings, approvers = {}, []
        if extension is None:
            return settings, approvers
        for child in extension:
            if _ns(child) != CROSSDEPT:
                self.note(
                    task,
                    self.env._(
                        "Extension %(extension)s of another tool ignored.",
                        extension=etree.QName(child).localname,
                    ),
                )
        step = extension.find(_q(CROSSDEPT, "step"))
        if step is None:
            return settings, approvers
        attrs = dict(step.attrib)
        if attrs.get("kind") in ("task", "approval"):
            settings["kind"] = attrs["kind"]
        sla = _number(attrs.get("sla_hours"), float)
        if sla is not None and sla > 0:
            settings["sla_hours"] = sla
        elif "sla_hours" in attrs:
            self.note(
                task,
                self.env._(
                    "SLA %(value)s is not a positive number of hours: the default is kept.",
                    value=attrs["sla_hours"],
                ),
            )
        for key in STEP_BOOLEANS:
            if key in attrs:
                settings[key] = _bool(attrs[key])
        if attrs.get("approval_policy") in APPROVAL_POLICIES:
            settings["approval_policy"] = attrs["approval_policy"]
        count = _number(attrs.get("approval_min_count"), int)
        if count is not None and count >= 1:
            settings["approval_min_count"] = count
        percent = _number(attrs.get("approval_min_percent"), float)
        if percent is not None and 1 <= percent <= 100:
            settings["approval_min_percent"] = percent
        if attrs.get("reject_action") in REJECT_ACTIONS:
            settings["reject_action"] = attrs["reject_action"]
        if attrs.get("approval_timeout_action") in TIMEOUT_ACTIONS:
            settings["approval_timeout_action"] = attrs["approval_timeout_action"]
        if attrs.get("reject_return"):
            settings["reject_return"] = attrs["reject_return"]
        if attrs.get("department") is not None:
            settings["department"] = attrs["department"].strip()
        if attrs.get("condition") is not None:
            settings["condition"] = attrs["condition"].strip()
        for element in step.findall(_q(CROSSDEPT, "approver")):
            approver = self.approver(task, element)
            if approver and approver not in approvers:
                approvers.append(approver)
        return settings, approvers

    def approver(self, task, element):
        """A ``crossdept:approver`` as ``{"source", "login" or "department"}``, or
        None (noted) when it names nobody. Without ``source`` (files of version
        1.0) it is a user."""
        source = (element.get("source") or "user").strip()
        if source not in APPROVER_SOURCES:
            self.note(
                task,
                self.env._(
                    "Approver of kind %(kind)s not imported: CrossDept approvers are users, "
                    "departments' managers, the requester or the Accountable.",
                    kind=source,
                ),
            )
            return None
        if source == "user":
            login = (element.get("login") or element.text or "").strip()
            return {"source": source, "login": login} if login else None
        if source in ("department_manager", "department"):
            department = (element.get("department") or "").strip()
            if not department:
                self.note(
                    task,
                    self.env._(
                        "An approver of kind %(kind)s names no department: not imported.",
                        kind=source,
                    ),
                )
                return None
            return {"source": source, "department": department}
        return {"source": source}

    def build(self):
        """Every process to import, read on its own; the notes about the file as a
        whole (message flows, black box pools...) go with each."""
        processes = self.processes()
        shared, drawn = self.notes, []
        positions = self.positions()
        for process in processes:
            self.notes = list(shared)
            drawn.append(self.build_process(process, positions))
        return drawn

    def build_process(self, process, positions):
        lane_of = self.lanes(process)
        nodes, flows = {}, {}
        for element in process:
            if not isinstance(element.tag, str):
                continue
            name = _local(element)
            if _ns(element) != BPMN:
                self.note(element, self.env._("Not mapped: not a BPMN element."))
            elif name in TASKS:
                nodes[element.get("id")] = ("task", element)
            elif name in PARALLEL or name in APPROXIMATED_GATEWAYS or name in EVENTS:
                nodes[element.get("id")] = ("pass", element)
                if name in APPROXIMATED_GATEWAYS:
                    self.note(
                        element,
                        self.env._(
                            "Approximated: the gateway's branches become steps that follow "
                            "the same step, each running only when the condition of its "
                            "branch holds (a branch without a condition always runs)."
                        ),
                    )
            elif name in PASSED_EVENTS:
                nodes[element.get("id")] = ("pass", element)
                self.note(
                    element,
                    self.env._("Approximated: the event is left out, its links are kept."),
                )
            elif name == "sequenceFlow":
                flows[element.get("id")] = element
            elif name not in SILENT:
                self.note(element, self.env._("Not mapped: CrossDept has no such element."))
                if name in ("subProcess", "callActivity", "adHocSubProcess", "transaction"):
                    # its links are kept through it, as through a gateway
                    nodes[element.get("id")] = ("pass", element)

        incoming = {}
        for flow in flows.values():
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            if source not in nodes or target not in nodes:
                self.note(
                    flow,
                    self.env._(
                        "Not mapped: the sequence flow links an element that is not imported."
                    ),
                )
                continue
            expression = flow.find(_q(BPMN, "conditionExpression"))
            condition = (expression.text or "").strip() if expression is not None else ""
            incoming.setdefault(target, []).append((source, condition, flow))

        steps = []
        for sequence, (node_id, (_kind, task)) in enumerate(
            (item for item in nodes.items() if item[1][0] == "task"), start=1
        ):
            settings, approvers = self.step_settings(task)
            preds, conditions = self.predecessors(node_id, nodes, incoming)
            name = (task.get("name") or "").strip()
            if not name:
                name = node_id
                self.note(task, self.env._("The task has no name: its id names the step."))
            if "condition" not in settings:
                settings["condition"] = self.condition_of(task, conditions)
            lane = lane_of.get(node_id)
            if "department" not in settings:
                settings["department"] = lane if lane and lane != NO_DEPARTMENT else ""
            elif settings["department"] == NO_DEPARTMENT:
                settings["department"] = ""
            x, y = positions.get(node_id, (0, 0))
            steps.append(
                {
                    "key": node_id,
                    "name": name,
                    "sequence": sequence * 10,
                    "preds": preds,
                    "approvers": approvers,
                    "x": x,
                    "y": y,
                    "kind": settings.pop("kind", "task"),
                    **settings,
                }
            )
        self.cut_loops(steps)
        return {
            "process_id": process.get("id") or "",
            "pool": self.participant_name(process),
            "name": (process.get("name") or "").strip() or self.participant_name(process),
            "steps": steps,
            "notes": self.notes,
        }

    def participant_name(self, process):
        for participant in self.root.iter(_q(BPMN, "participant")):
            if participant.get("processRef") == process.get("id") and participant.get("name"):
                return participant.get("name").strip()
        return ""

    @staticmethod
    def predecessors(node_id, nodes, incoming):
        """The tasks before a task, through gateways and events, and the condition
        of each path (the last one seen walking back, "" for none)."""
        preds, conditions = [], []
        stack = [(source, cond) for source, cond, _flow in incoming.get(node_id, ())]
        seen = set()
        while stack:
            source, condition = stack.pop()
            if nodes[source][0] == "task":
                if source not in preds:
                    preds.append(source)
                conditions.append(condition)
                continue
            if _local(nodes[source][1]) == "startEvent" or not incoming.get(source):
                conditions.append(condition)
                continue
            if (source, condition) in seen:
                continue
            seen.add((source, condition))
            for before, cond, _flow in incoming[source]:
                stack.append((before, condition or cond))
        return preds, conditions

    def condition_of(self, task, conditions):
        found = set(conditions)
        if found == {""} or not found:
            return ""
        if len(found) == 1:
            return found.pop()
        self.note(
            task,
            self.env._(
                "Approximated: the paths into the step carry different conditions (or "
                "none on some): the step runs unconditionally."
            ),
        )
        return ""

    def cut_loops(self, steps):
        """CrossDept flows have no loops: drop each link that closes one (found
        depth first from the start steps in document order) and report it."""
        by_key = {step["key"]: step for step in steps}
        succs = {step["key"]: [] for step in steps}
        for step in steps:
            for pred in step["preds"]:
                succs[pred].append(step["key"])
        state = {}
        order = [s["key"] for s in steps if not s["preds"]] + [s["key"] for s in steps]
        for start in order:
            if start in state:
                continue
            state[start] = "open"
            path = [(start, iter(succs[start]))]
            while path:
                node, children = path[-1]
                child = next(children, None)
                if child is None:
                    state[node] = "done"
                    path.pop()
                elif state.get(child) == "open":
                    by_key[child]["preds"].remove(node)
                    self.notes.append(
                        {
                            "element": child,
                            "type": "sequenceFlow",
                            "name": by_key[child]["name"],
                            "message": self.env._(
                                "Not mapped: the link back from %(origin)s to %(step)s "
                                "makes a loop; CrossDept flows have none (a rejection can "
                                "return to an earlier step instead).",
                                origin=by_key[node]["name"],
                                step=by_key[child]["name"],
                            ),
                        }
                    )
                elif child not in state:
                    state[child] = "open"
                    path.append((child, iter(succs[child])))


def read_bpmn(env, data, max_bytes=DEFAULT_MAX_BYTES):
    """The flows drawn in a BPMN file as plain values, one per process with a task
    (one per pool of a collaboration), in the order of the pools:

    ``[{"process_id", "pool", "name", "steps": [...], "notes": [...]}]``; ``pool``
    is the name of the process's participant ("" for none); each step a dict
    with ``key`` (element id), ``name``, ``sequence``, ``kind``, ``preds`` (keys),
    ``department`` (name, "" for none), ``condition`` (domain text, "" for none),
    ``approvers`` (dicts: ``source`` and the ``login`` or ``department`` named),
    ``x``, ``y`` and the ``crossdept:step`` settings found (sla_hours,
    skip_when_urgent, value_adding, portal_visible, approval_policy,
    approval_min_count, approval_min_percent, allow_requester_approval,
    approval_timeout_action, require_decision_comment, reject_action,
    reject_return (key));
    each note a dict with the ``element`` id, its ``type``, ``name`` and the
    ``message`` saying what was not mapped or only approximated.
    """
    return _Reader(env, parse_xml(env, data, max_bytes=max_bytes)).build()
