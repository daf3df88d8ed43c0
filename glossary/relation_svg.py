"""Lay out a term's relations for a small inline SVG: the term in the middle, related terms on a circle."""

import math

WIDTH, HEIGHT, RADIUS, NODE_WIDTH, NODE_HEIGHT = 640, 300, 115, 150, 30


def _short(text: str, size: int = 20) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def relation_layout(term, rows) -> dict:
    """``rows`` are ``selectors.RelationRow``; at most 12 neighbours are drawn, the rest are listed below it."""
    if not rows:
        return {}
    shown = rows[:12]
    cx, cy = WIDTH / 2, HEIGHT / 2
    nodes = [{"x": cx - NODE_WIDTH / 2, "y": cy - NODE_HEIGHT / 2, "label": _short(term.name), "root": True, "url": ""}]
    edges = []
    for index, row in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * index / len(shown)
        x, y = cx + RADIUS * 2.0 * math.cos(angle), cy + RADIUS * math.sin(angle)
        nodes.append(
            {
                "x": x - NODE_WIDTH / 2,
                "y": y - NODE_HEIGHT / 2,
                "label": _short(row.other.name),
                "root": False,
                "url": row.other.get_absolute_url(),
                "kind": row.relation.kind,
            }
        )
        edges.append(
            {
                "x1": round(cx),
                "y1": round(cy),
                "x2": round(x),
                "y2": round(y),
                "lx": round((cx + x) / 2),
                "ly": round((cy + y) / 2 - 4),
                "label": row.label,
                "kind": row.relation.kind,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "nodes": nodes,
        "edges": edges,
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
        "hidden": len(rows) - len(shown),
    }
