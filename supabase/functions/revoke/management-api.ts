/**
 * The one Supabase Management API call the kill switch makes: deleting
 * function secrets (`DELETE /v1/projects/{ref}/secrets` with a JSON array of
 * names), so that isolates started afterwards no longer get the Kraken key.
 *
 * @module
 */

/** How long the kill switch waits for the Management API. */
export const MANAGEMENT_TIMEOUT_MS = 10_000;

export interface ManagementAccess {
  /** Base URL, `https://api.supabase.com` unless a test points it at a double. */
  apiUrl: string;
  projectRef: string;
  /** A personal access token of an account with access to the project. */
  token: string;
}

/** Deletes the named function secrets. Throws with the HTTP status and body start on failure. */
export async function deleteFunctionSecrets(
  access: ManagementAccess,
  names: readonly string[],
  fetchImpl: typeof fetch = fetch,
): Promise<void> {
  const url = `${access.apiUrl}/v1/projects/${encodeURIComponent(access.projectRef)}/secrets`;
  const action = `Deleting the function secrets ${
    names.join(", ")
  } of project ${access.projectRef}`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "DELETE",
      headers: { authorization: `Bearer ${access.token}`, "content-type": "application/json" },
      body: JSON.stringify(names),
      signal: AbortSignal.timeout(MANAGEMENT_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    const reason = timedOut
      ? `timed out after ${MANAGEMENT_TIMEOUT_MS} ms`
      : error instanceof Error
      ? error.message
      : String(error);
    throw new Error(`${action} failed: ${reason}.`);
  }
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${action} failed: HTTP ${response.status} ${text.slice(0, 300)}`);
  }
}
