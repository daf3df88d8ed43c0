"""Lay out a lineage graph for an inline SVG: one column per hop, upstream on the left, downstream on the right."""

from collections import defaultdict

from products.selectors import LineageGraph

NODE_WIDTH, NODE_HEIGHT, COLUMN_GAP, ROW_GAP, MARGIN = 170, 36, 60, 18, 16


def lineage_layout(graph: LineageGraph) -> dict:
    columns: dict[int, list] = defaultdict(list)
    for node in graph.nodes:
        columns[node.level].append(node)
    if not columns:
        return {"width": 0, "height": 0, "nodes": [], "edges": []}
    levels = sorted(columns)
    tallest = max(len(nodes) for nodes in columns.values())
    height = MARGIN * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
    positions, placed = {}, []
    for index, level in enumerate(levels):
        nodes = columns[level]
        column_height = len(nodes) * NODE_HEIGHT + (len(nodes) - 1) * ROW_GAP
        top = (height - column_height) / 2
        x = MARGIN + index * (NODE_WIDTH + COLUMN_GAP)
        for row, node in enumerate(nodes):
            y = top + row * (NODE_HEIGHT + ROW_GAP)
            positions[node.key] = (x, y)
            label = node.label if len(node.label) <= 24 else node.label[:23] + "…"
            placed.append({"node": node, "x": x, "y": y, "label": label, "root": node.level == 0})
    edges = []
    for source, target in graph.edges:
        if source in positions and target in positions:
            (x1, y1), (x2, y2) = positions[source], positions[target]
            start_x, start_y = x1 + NODE_WIDTH, y1 + NODE_HEIGHT / 2
            end_x, end_y = x2, y2 + NODE_HEIGHT / 2
            middle = (start_x + end_x) / 2
            edges.append(
                f"M{start_x:.0f},{start_y:.0f} C{middle:.0f},{start_y:.0f} {middle:.0f},{end_y:.0f} {end_x:.0f},{end_y:.0f}"
            )
    width = MARGIN * 2 + len(levels) * NODE_WIDTH + (len(levels) - 1) * COLUMN_GAP
    return {
        "width": width,
        "height": height,
        "nodes": placed,
        "edges": edges,
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
    }
