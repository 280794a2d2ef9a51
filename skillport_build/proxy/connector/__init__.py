"""The MCP connector at /mcp: an OAuth-protected MCP server over the proxy's verified catalog, the
authorization server MCP clients sign in through, and the pull requests editors propose.

server      the MCPServer: tools, `skill://` resources, instructions
tools       what the tools do, for one identity, from the caller's view of the catalog
skills_ext  the MCP Skills extension: skills/list, skills/get
provider    the OAuth authorization server the SDK's auth routes call; the bearer-token verifier
grants      its state: clients, pending requests, codes, access and refresh tokens (hashed)
documents   client ID metadata documents, fetched and checked
consent     the page where a signed-in person allows or denies a client
propose     check a proposed skill change; open one pull request through the Git Data API
editing     propose_change as the connector runs it: writers only, then check, then the PR
mount       the routes, the guards in front of /mcp, the transport's lifespan
"""
