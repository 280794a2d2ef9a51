"""The MCP connector at /mcp: an OAuth-protected MCP server over the proxy's verified catalog, the
authorization server MCP clients sign in through, and the pull requests editors propose."""
