// The container's HEALTHCHECK: exit 0 when GET /health answers 200 (serving),
// 1 otherwise (loading, draining, or down). Node 20 has fetch, and the slim
// image has no curl. Reads the port the entrypoint gave the server.
const port = process.env.PAGODA_PORT || "8000";
const scheme = process.env.PAGODA_SSL_CERTFILE ? "https" : "http";
if (scheme === "https") process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
try {
  const response = await fetch(`${scheme}://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(4000) });
  process.exit(response.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
