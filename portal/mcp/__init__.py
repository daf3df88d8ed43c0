"""The MCP server: AI agents use the catalog through the Model Context Protocol, under the user's own permissions.

``server`` registers the tools, resources and prompts; ``calls`` is the one door each call goes through
(authentication, read-only gate, rate limit, audit); the tools live by concern in ``catalog``, ``access``,
``governance``, ``glossary`` and ``contracts``; ``http`` serves streamable HTTP (mounted by ``portal.asgi``) and
``manage.py mcp_serve`` serves stdio.
"""
