"""SVG drawing of a flow's steps, left to right by depth."""

from collections import defaultdict

from odoo.tools import html_escape

from .graph import depths

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 170, 54, 60, 22, 12


def _shorten(text, size):
    return text if len(text) <= size else text[: size - 1] + "…"


def layers(order, preds):
    """The nodes of ``order`` grouped by depth (longest path from a start node)."""
    depth = depths(order, preds)
    by_depth = defaultdict(list)
    for node in order:
        by_depth[depth.get(node, 0)].append(node)
    return [by_depth[key] for key in sorted(by_depth)]


def render_svg(boxes):
    """boxes: list of dicts with id, preds (ids), name, subtitle and approval (bool),
    in drawing order. Returns the SVG markup, or "" without boxes."""
    if not boxes:
        return ""
    by_id = {box["id"]: box for box in boxes}
    preds = {box["id"]: {p for p in box["preds"] if p in by_id} for box in boxes}
    columns = layers([box["id"] for box in boxes], preds)
    rows = max(len(column) for column in columns)
    height = rows * (BOX_H + GAP_Y) - GAP_Y + 2 * PAD
    width = len(columns) * (BOX_W + GAP_X) - GAP_X + 2 * PAD
    pos = {}
    for col, column in enumerate(columns):
        offset = (height - 2 * PAD - (len(column) * (BOX_H + GAP_Y) - GAP_Y)) / 2
        for row, node in enumerate(column):
            pos[node] = (PAD + col * (BOX_W + GAP_X), PAD + offset + row * (BOX_H + GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="o_crossdept_flow_diagram" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        '<defs><marker id="cd-arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" '
        'orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#6c757d"/></marker></defs>',
    ]
    for node, (x, y) in pos.items():
        for pred in by_id[node]["preds"]:
            if pred not in pos:
                continue
            px, py = pos[pred]
            parts.append(
                f'<line x1="{px + BOX_W}" y1="{py + BOX_H / 2}" '
                f'x2="{x}" y2="{y + BOX_H / 2}" stroke="#6c757d" '
                'stroke-width="1.5" marker-end="url(#cd-arrow)"/>'
            )
    for node, (x, y) in pos.items():
        box = by_id[node]
        fill = "#fff4e5" if box["approval"] else "#e7f1ff"
        parts.append(
            f'<g class="o_crossdept_flow_step" data-step-id="{node}">'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" '
            'stroke="#495057"/>'
            f'<text x="{x + 8}" y="{y + 20}" font-size="13" font-weight="bold">'
            f"{html_escape(_shorten(box['name'], 22))}</text>"
            f'<text x="{x + 8}" y="{y + 40}" font-size="11" fill="#495057">'
            f"{html_escape(box['subtitle'])}</text>"
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def step_subtitle(department_name, sla_hours):
    return f"{_shorten(department_name or '', 18)} · {sla_hours:g}h"
