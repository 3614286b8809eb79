"""Plain functions over step graphs.

A graph is given as ``{node: set of its predecessors}``; nodes are any hashable
values (ids, records). Flow templates and the step instances of a ticket share them.
"""


def successors_of(preds):
    """{node: set of its direct successors}"""
    succs = {node: set() for node in preds}
    for node, node_preds in preds.items():
        for pred in node_preds:
            succs.setdefault(pred, set()).add(node)
    return succs


def _closure(starts, edges):
    seen = set(starts)
    frontier = list(starts)
    while frontier:
        node = frontier.pop()
        for nxt in edges.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen


def descendants(starts, preds):
    """The nodes ``starts`` and every node after them."""
    return _closure(starts, successors_of(preds))


def ancestors(starts, preds):
    """The nodes ``starts`` and every node before them."""
    return _closure(starts, preds)


def find_cycle(preds):
    """The nodes of one cycle, in order, or an empty list."""
    state, path = {}, []

    def visit(node):
        state[node] = "visiting"
        path.append(node)
        for pred in preds.get(node, ()):
            if pred not in preds:
                continue
            if state.get(pred) == "visiting":
                return path[path.index(pred) :]
            if pred not in state:
                found = visit(pred)
                if found:
                    return found
        path.pop()
        state[node] = "done"
        return None

    for node in preds:
        if node not in state:
            found = visit(node)
            if found:
                return list(reversed(found))
    return []


def depths(order, preds):
    """{node: longest path from a start node} for an acyclic graph; ``order`` lists
    the nodes (cycles, if any, are cut at the length of the graph)."""
    depth = {}
    for _round in range(len(order) + 1):
        changed = False
        for node in order:
            value = max((depth.get(p, 0) + 1 for p in preds.get(node, ()) if p in preds), default=0)
            value = min(value, len(order))
            if depth.get(node) != value:
                depth[node] = value
                changed = True
        if not changed:
            break
    return depth
