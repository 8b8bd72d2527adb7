// Calls to the public API with the session's token; errors become ApiError carrying the
// problem document's title and request id.
import { accessToken, goToSignIn, refresh } from "./auth.js";

export class ApiError extends Error {
  constructor(problem, status) {
    super(problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || "";
    this.code = problem.code || "";
    this.requestId = problem.request_id || "";
    // What a 422 names: each invalid field (errors), or what the SQL validator found (findings).
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.findings = Array.isArray(problem.findings) ? problem.findings : [];
  }
}

function urlOf(path, query) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  return url;
}

async function problemOf(response) {
  const fallback = { title: response.statusText, request_id: response.headers.get("X-Request-ID") };
  try {
    return { ...fallback, ...(await response.json()) };
  } catch {
    return fallback;
  }
}

/** fetch() with the bearer token (`body` is sent as JSON, `rawBody` as it is); one refresh and retry on 401, then back to sign-in. */
export async function apiFetch(path, { method = "GET", query, body, rawBody, headers = {}, signal } = {}) {
  const send = async () => {
    const token = await accessToken();
    if (!token) {
      goToSignIn();
      throw new ApiError({ title: "Signed out" }, 401);
    }
    const init = { method, signal, headers: { Accept: "application/json", ...headers } };
    // Answers may be kept a few seconds (private, max-age): every read asks the server again,
    // so what a page shows after a change includes it; an unchanged answer costs only a 304.
    if (method === "GET") init.cache = "no-cache";
    init.headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    } else if (rawBody !== undefined) init.body = rawBody; // a File or Blob, sent as it is
    return fetch(urlOf(path, query), init);
  };
  let response = await send();
  if (response.status === 401 && (await refresh())) response = await send();
  if (response.status === 401) {
    goToSignIn();
    throw new ApiError(await problemOf(response), 401);
  }
  if (!response.ok) throw new ApiError(await problemOf(response), response.status);
  return response;
}

/** The JSON answer of an API call (null for 204). */
export async function api(path, options) {
  const response = await apiFetch(path, options);
  return response.status === 204 ? null : response.json();
}
