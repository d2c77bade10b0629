/** Errors of the admin API as problem details (RFC 9457): one JSON shape for every status, 401 included. */

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export const PROBLEM_TYPE = "application/problem+json";

/** `errors`: each thing wrong with the request on its own, where there are several (a schema's findings). */
export function problem(status: number, detail: string, options: { errors?: string[]; headers?: Record<string, string> } = {}): Response {
  const body = { type: "about:blank", title: TITLES[status] ?? "Error", status, detail, ...(options.errors ? { errors: options.errors } : {}) };
  const headers = new Headers(options.headers);
  headers.set("Content-Type", PROBLEM_TYPE);
  return new Response(JSON.stringify(body), { status, headers });
}
