"""BPMN 2.0 XML (with diagram interchange) of a flow's steps.

A pure function over plain values, so that it can be tested and read without the
ORM; ``crossdept.flow._bpmn_export`` gathers the values. The element names and the
``crossdept:step`` extension follow /work/dev/BPMN_CONTRACT.md, which the import
reads back:

- one ``bpmn:userTask`` "Step_<id>" per step, its settings in ``crossdept:step``;
- a step with several successors leaves through a parallel split gateway, a step
  with several predecessors is entered through a parallel join gateway;
- a run condition goes on every sequence flow entering the step (or its join);
- one lane per department, a start event before the start steps and an end event
  after the last ones (through a parallel gateway when there are several).

Positions: ``x``/``y`` are the top-left corner of a step's shape. When every step
is at (0, 0) the steps are laid out in layers (longest path from a start step,
left to right), one row band per lane.
"""

import re
from collections import defaultdict

from lxml import etree

from .graph import depths, successors_of

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CROSSDEPT = "https://schemas.crossdept.dev/bpmn/1.0"
NSMAP = {
    "bpmn": BPMN,
    "bpmndi": BPMNDI,
    "dc": DC,
    "di": DI,
    "xsi": XSI,
    "crossdept": CROSSDEPT,
}

# shape sizes of bpmn-js (task, gateway, event) and the automatic layout's grid
TASK_W, TASK_H = 100, 80
GATEWAY = 50
EVENT = 36
COLUMN = 280  # a task, its split gateway, the next task's join gateway
ROW = 120
LANE_PAD = 30
LABEL_BAND = 30  # the participant's name band, left of its lanes
FIRST_X = 260  # x of the first column of tasks (start event and gateway before it)
NO_DEPARTMENT = "No department"


def _q(ns, tag):
    return f"{{{ns}}}{tag}"


def element_id(prefix, value):
    """An XML id (NCName) made of a prefix and any value."""
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9_.-]', '_', str(value))}"


def _attr_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _approver_element(step_el, approver):
    """A ``crossdept:approver``: ``source`` says who approves, ``login`` or
    ``department`` whom it names. A user's login is also the element's text, as
    files of version 1.0 had it (a reader of those reads the users and nothing
    else)."""
    if isinstance(approver, str):
        approver = {"source": "user", "login": approver}
    source = approver.get("source") or "user"
    element = etree.SubElement(step_el, _q(CROSSDEPT, "approver"), source=source)
    if source == "user":
        element.set("login", approver["login"])
        element.text = approver["login"]
    elif approver.get("department") is not None:
        element.set("department", approver["department"])
    return element


class _Layout:
    """Bounds (x, y, width, height) of every flow node."""

    def __init__(self):
        self.bounds = {}

    def put(self, node_id, x, y, width, height):
        self.bounds[node_id] = (int(x), int(y), int(width), int(height))

    def waypoints(self, source, target):
        """Right side of the source to the left side of the target, with a bend
        when they are not on one row."""
        sx, sy, sw, sh = self.bounds[source]
        tx, ty, _tw, th = self.bounds[target]
        start = (sx + sw, sy + sh / 2)
        end = (tx, ty + th / 2)
        if start[1] == end[1] or end[0] <= start[0]:
            return [start, end]
        mid = (start[0] + end[0]) / 2
        return [start, (mid, start[1]), (mid, end[1]), end]


def _lane_order(steps):
    """Lane names in the order of their first step, steps without a department
    in the "No department" lane (last)."""
    lanes = []
    for step in steps:
        name = step["department"] or None
        if name not in lanes:
            lanes.append(name)
    if None in lanes:
        lanes.remove(None)
        lanes.append(None)
    return lanes


def lane_element_ids(steps):
    """{department name, or None for the steps without one: its lane's element id}."""
    return {lane: element_id("Lane", index + 1) for index, lane in enumerate(_lane_order(steps))}


def _auto_positions(steps, preds, lanes):
    """{step id: (x, y)} in layers by longest path, one band of rows per lane, and
    the y of every lane band as [(lane, top, height)]."""
    order = [step["id"] for step in steps]
    depth = depths(order, preds)
    lane_of = {step["id"]: step["department"] or None for step in steps}
    rows = defaultdict(lambda: defaultdict(list))
    for node in order:
        rows[lane_of[node]][depth[node]].append(node)
    positions, bands, top = {}, [], 0
    for lane in lanes:
        count = max(len(nodes) for nodes in rows[lane].values())
        height = count * ROW - (ROW - TASK_H) + 2 * LANE_PAD
        for column, nodes in rows[lane].items():
            for row, node in enumerate(nodes):
                positions[node] = (FIRST_X + column * COLUMN, top + LANE_PAD + row * ROW)
        bands.append((lane, top, height))
        top += height
    return positions, bands


def _stored_bands(steps, positions, lanes):
    """Lane bands around the stored positions of their steps, stacked so that
    they never overlap."""
    bands, bottom = [], None
    for lane in lanes:
        ys = [positions[s["id"]][1] for s in steps if (s["department"] or None) == lane]
        top = min(ys) - LANE_PAD
        if bottom is not None:
            top = max(top, bottom)
        height = max(max(ys) + TASK_H + LANE_PAD - top, TASK_H + 2 * LANE_PAD)
        bands.append((lane, top, height))
        bottom = top + height
    return bands


def _positions(steps, preds, lanes):
    if any(step["x"] or step["y"] for step in steps):
        positions = {step["id"]: (step["x"], step["y"]) for step in steps}
        return positions, _stored_bands(steps, positions, lanes)
    return _auto_positions(steps, preds, lanes)


def step_positions(steps):
    """{step id: (x, y)} as ``build`` draws the steps: their stored positions, or
    the automatic layout when every step is at (0, 0)."""
    by_id = {step["id"]: step for step in steps}
    preds = {step["id"]: [p for p in step["preds"] if p in by_id] for step in steps}
    return _positions(steps, preds, _lane_order(steps))[0]


def build(flow, steps):
    """The BPMN 2.0 document (UTF-8 bytes with an XML declaration).

    flow: dict with ``code`` and ``name``.
    steps: list of dicts in display order with ``id``, ``name``, ``kind``,
    ``preds`` (ids), ``department`` (name or ""), ``x``, ``y``, ``condition``
    (domain text, "" or "[]" for none), ``attrs`` (the ``crossdept:step``
    attributes, in order, values as str/bool/int/float) and ``approvers``
    (the approval's Responsible lines: dicts with ``source`` ("user",
    "department_manager", "department", "requester", "accountable") and the
    ``login`` or ``department`` (name) it names; a plain login is a user).
    """
    by_id = {step["id"]: step for step in steps}
    preds = {step["id"]: [p for p in step["preds"] if p in by_id] for step in steps}
    succs = successors_of({node: set(values) for node, values in preds.items()})
    step_ids = {node: element_id("Step", node) for node in by_id}
    lanes = _lane_order(steps)
    lane_ids = lane_element_ids(steps)
    starts = [step["id"] for step in steps if not preds[step["id"]]]
    ends = [step["id"] for step in steps if not succs.get(step["id"])]

    def condition(node):
        text = (by_id[node]["condition"] or "").strip()
        return "" if text in ("", "[]") else text

    # ---- the graph of flow nodes: (id, kind, lane) and sequence flows ----
    nodes = []  # (element id, tag, lane, step id or None)
    flows = []  # (source element, target element, condition text)
    split = {n: element_id("Gateway_Split", n) for n in by_id if len(succs.get(n, ())) > 1}
    join = {n: element_id("Gateway_Join", n) for n in by_id if len(preds[n]) > 1}
    start_event, end_event = "StartEvent_1", "EndEvent_1"
    start_gateway = "Gateway_Start" if len(starts) > 1 else None
    end_gateway = "Gateway_End" if len(ends) > 1 else None
    first_lane = lanes[0] if lanes else None

    def lane(node):
        return by_id[node]["department"] or None

    nodes.append((start_event, "startEvent", lane(starts[0]) if starts else first_lane, None))
    if start_gateway:
        nodes.append((start_gateway, "parallelGateway", lane(starts[0]), None))
        flows.append((start_event, start_gateway, ""))
    for step in steps:
        node = step["id"]
        if node in join:
            nodes.append((join[node], "parallelGateway", lane(node), None))
        nodes.append((step_ids[node], "userTask", lane(node), node))
        if node in split:
            nodes.append((split[node], "parallelGateway", lane(node), None))
    if end_gateway:
        nodes.append((end_gateway, "parallelGateway", lane(ends[-1]), None))
    nodes.append((end_event, "endEvent", lane(ends[-1]) if ends else first_lane, None))

    for node in starts:
        flows.append((start_gateway or start_event, step_ids[node], condition(node)))
    for step in steps:
        node = step["id"]
        target = join.get(node, step_ids[node])
        for pred in preds[node]:
            flows.append((split.get(pred, step_ids[pred]), target, condition(node)))
        if node in join:
            flows.append((join[node], step_ids[node], ""))
        if node in split:
            flows.append((step_ids[node], split[node], ""))
    for node in ends:
        flows.append((step_ids[node], end_gateway or end_event, ""))
    if end_gateway:
        flows.append((end_gateway, end_event, ""))
    flow_ids = [element_id("Flow", f"{index + 1}") for index in range(len(flows))]

    # ---- layout ----
    layout = _Layout()
    positions, bands = _positions(steps, preds, lanes)
    for node, (x, y) in positions.items():
        layout.put(step_ids[node], x, y, TASK_W, TASK_H)
        middle = y + TASK_H / 2
        if node in join:
            layout.put(join[node], x - 75, middle - GATEWAY / 2, GATEWAY, GATEWAY)
        if node in split:
            layout.put(split[node], x + TASK_W + 25, middle - GATEWAY / 2, GATEWAY, GATEWAY)
    if steps:
        left = min(x for x, _y in positions.values())
        right = max(x for x, _y in positions.values()) + TASK_W
        first_middle = positions[starts[0]][1] + TASK_H / 2 if starts else 0
        last_middle = positions[ends[-1]][1] + TASK_H / 2 if ends else 0
    else:
        left, right, first_middle, last_middle = FIRST_X, FIRST_X, TASK_H / 2, TASK_H / 2
    if start_gateway:
        layout.put(start_gateway, left - 90, first_middle - GATEWAY / 2, GATEWAY, GATEWAY)
        layout.put(start_event, left - 170, first_middle - EVENT / 2, EVENT, EVENT)
    else:
        layout.put(start_event, left - 100, first_middle - EVENT / 2, EVENT, EVENT)
    if end_gateway:
        layout.put(end_gateway, right + 50, last_middle - GATEWAY / 2, GATEWAY, GATEWAY)
        layout.put(end_event, right + 150, last_middle - EVENT / 2, EVENT, EVENT)
    else:
        layout.put(end_event, right + 70, last_middle - EVENT / 2, EVENT, EVENT)
    xs = [x for x, _y, _w, _h in layout.bounds.values()]
    x2s = [x + w for x, _y, w, _h in layout.bounds.values()]
    pool_x = min(xs) - 40 - LABEL_BAND
    pool_right = max(x2s) + 40
    if not bands:
        bands = [(None, min(b[1] for b in layout.bounds.values()) - LANE_PAD, TASK_H + LANE_PAD)]
    pool_y = bands[0][1]
    pool_h = bands[-1][1] + bands[-1][2] - pool_y

    # ---- semantic model ----
    process_id = element_id("Process", flow["code"])
    participant_id = element_id("Participant", flow["code"])
    root = etree.Element(_q(BPMN, "definitions"), nsmap=NSMAP)
    root.set("id", element_id("Definitions", flow["code"]))
    root.set("targetNamespace", CROSSDEPT)
    root.set("exporter", "CrossDept")
    root.set("exporterVersion", "1.0")
    collaboration = etree.SubElement(root, _q(BPMN, "collaboration"), id="Collaboration_1")
    etree.SubElement(
        collaboration,
        _q(BPMN, "participant"),
        id=participant_id,
        name=flow["name"],
        processRef=process_id,
    )
    process = etree.SubElement(
        root, _q(BPMN, "process"), id=process_id, name=flow["name"], isExecutable="false"
    )
    if lanes:
        lane_set = etree.SubElement(process, _q(BPMN, "laneSet"), id="LaneSet_1")
        for lane_name in lanes:
            lane_el = etree.SubElement(
                lane_set,
                _q(BPMN, "lane"),
                id=lane_ids[lane_name],
                name=lane_name or NO_DEPARTMENT,
            )
            for node_id, _tag, node_lane, _step in nodes:
                if node_lane == lane_name:
                    etree.SubElement(lane_el, _q(BPMN, "flowNodeRef")).text = node_id
    incoming, outgoing = defaultdict(list), defaultdict(list)
    for flow_id, (source, target, _cond) in zip(flow_ids, flows, strict=True):
        outgoing[source].append(flow_id)
        incoming[target].append(flow_id)
    for node_id, tag, _lane, step_id in nodes:
        attrs = {"id": node_id}
        if step_id is not None:
            attrs["name"] = by_id[step_id]["name"]
        element = etree.SubElement(process, _q(BPMN, tag), attrs)
        if step_id is not None:
            step = by_id[step_id]
            extension = etree.SubElement(element, _q(BPMN, "extensionElements"))
            step_el = etree.SubElement(extension, _q(CROSSDEPT, "step"))
            for key, value in step["attrs"].items():
                step_el.set(key, _attr_text(value))
            if condition(step_id):
                step_el.set("condition", condition(step_id))
            for approver in step["approvers"]:
                _approver_element(step_el, approver)
        for flow_id in incoming[node_id]:
            etree.SubElement(element, _q(BPMN, "incoming")).text = flow_id
        for flow_id in outgoing[node_id]:
            etree.SubElement(element, _q(BPMN, "outgoing")).text = flow_id
    for flow_id, (source, target, cond) in zip(flow_ids, flows, strict=True):
        sequence = etree.SubElement(
            process, _q(BPMN, "sequenceFlow"), id=flow_id, sourceRef=source, targetRef=target
        )
        if cond:
            expression = etree.SubElement(sequence, _q(BPMN, "conditionExpression"))
            expression.set(_q(XSI, "type"), "bpmn:tFormalExpression")
            expression.text = cond

    # ---- diagram interchange ----
    diagram = etree.SubElement(root, _q(BPMNDI, "BPMNDiagram"), id="BPMNDiagram_1")
    plane = etree.SubElement(
        diagram, _q(BPMNDI, "BPMNPlane"), id="BPMNPlane_1", bpmnElement="Collaboration_1"
    )

    def shape(element, bounds, **extra):
        node = etree.SubElement(
            plane,
            _q(BPMNDI, "BPMNShape"),
            id=f"{element}_di",
            bpmnElement=element,
            **extra,
        )
        x, y, width, height = bounds
        etree.SubElement(
            node, _q(DC, "Bounds"), x=str(x), y=str(y), width=str(width), height=str(height)
        )

    shape(
        participant_id,
        (pool_x, pool_y, pool_right - pool_x, pool_h),
        isHorizontal="true",
    )
    if lanes:
        for lane_name, top, height in bands:
            shape(
                lane_ids[lane_name],
                (pool_x + LABEL_BAND, top, pool_right - pool_x - LABEL_BAND, height),
                isHorizontal="true",
            )
    for node_id, _tag, _lane, _step in nodes:
        shape(node_id, layout.bounds[node_id])
    for flow_id, (source, target, _cond) in zip(flow_ids, flows, strict=True):
        edge = etree.SubElement(
            plane, _q(BPMNDI, "BPMNEdge"), id=f"{flow_id}_di", bpmnElement=flow_id
        )
        for x, y in layout.waypoints(source, target):
            etree.SubElement(edge, _q(DI, "waypoint"), x=str(int(x)), y=str(int(y)))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
