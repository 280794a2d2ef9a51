"""The web side: the catalog website (and, later, the proxy and the MCP connector)."""
