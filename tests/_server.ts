/** Helpers for server tests: an API over a fresh ledger, and requests against it. */
import { Ledger } from "../ledger/ledger.ts";
import { type OpenApi, openApi, type ServeOptions } from "../server/serve.ts";

/** An open API over a new ledger in a temporary directory. */
export async function tempApi(options: Partial<ServeOptions> = {}): Promise<OpenApi & { dir: string }> {
  const dir = `${await Deno.makeTempDir({ prefix: "smem-server-" })}/ledger`;
  (await Ledger.create(dir)).close();
  return { ...(await openApi({ dir, ...options })), dir };
}

/** Closes the API and removes its directory. */
export async function removeApi(api: OpenApi & { dir: string }): Promise<void> {
  await api.close();
  await Deno.remove(api.dir.replace(/\/ledger$/, ""), { recursive: true });
}

/** A POST of `body` (JSON text, or a value to serialize) to `path`, with the API's token. */
export function post(
  api: OpenApi,
  path: string,
  body: unknown,
  token: string | null = api.deps.token,
): Promise<Response> {
  return Promise.resolve(api.app.request(path, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }));
}

/** The error code of a JSON error response. */
export async function errorCode(response: Response): Promise<string> {
  const body = await response.json() as { error?: { code?: string } };
  return body.error?.code ?? "(no error)";
}
