/**
 * The HTML error page a CDN in front of an API returns instead of JSON,
 * modelled on Cloudflare's error pages (for example 520, "Web server is
 * returning an unknown error"). Clients that expect JSON must survive it.
 *
 * @module
 */

const REASONS: Readonly<Record<number, string>> = {
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service temporarily unavailable",
  504: "Gateway time-out",
  520: "Web server is returning an unknown error",
  521: "Web server is down",
  522: "Connection timed out",
  524: "A timeout occurred",
};

/** Returns the reason phrase for an HTTP `status`, including the CDN's 52x codes. */
export function cdnReasonPhrase(status: number): string {
  return REASONS[status] ?? "Error";
}

/** Returns the page body for an HTTP `status`; `host` appears in the title as on the CDN. */
export function cdnErrorPage(status: number, host = "api.kraken.com"): string {
  const reason = cdnReasonPhrase(status);
  return [
    "<!DOCTYPE html>",
    '<html lang="en-US">',
    "<head>",
    `<title>${host} | ${status}: ${reason}</title>`,
    '<meta charset="UTF-8" />',
    "</head>",
    "<body>",
    `<h1>${reason} <span>Error code ${status}</span></h1>`,
    "<p>The origin server sent a reply the CDN could not use.</p>",
    "<p>Simulated by the TITAN-OMNI Kraken simulator.</p>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
