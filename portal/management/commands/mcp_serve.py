"""``manage.py mcp_serve --token-env MESH_TOKEN``: the MCP server over stdio, for desktop agents.

The agent starts this command and talks MCP over its standard input and output. It acts as the person whose API
token is in the named environment variable (never on the command line, where other users of the machine could read
it). The token is checked at start and again at every call, so revoking it cuts the agent off at its next call.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from portal.mcp.auth import NotAuthenticated, caller_authenticate


class Command(BaseCommand):
    help = "Serve the MCP server over stdio, acting as the user of the API token in an environment variable."

    def add_arguments(self, parser):
        parser.add_argument(
            "--token-env",
            default="MESH_TOKEN",
            metavar="NAME",
            help="The environment variable holding your API token (default: MESH_TOKEN).",
        )

    def handle(self, *args, token_env: str, **options):
        from portal.mcp.server import build_server

        key = os.environ.get(token_env, "").strip()
        if not key:
            raise CommandError(f"Set {token_env} to one of your API tokens (make one on the API tokens page).")
        try:
            caller = caller_authenticate(key)
        except NotAuthenticated as error:
            raise CommandError(str(error)) from None
        self.stderr.write(
            f"Mesh Portal MCP server on stdio, acting as {caller.user.get_username()}"
            f"{' (read-only)' if caller.read_only else ''}."
        )
        connections.close_all()  # each call opens its own, in its own thread
        build_server(key=key).run("stdio")
