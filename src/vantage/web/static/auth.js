// The signed-in session: tokens live in this tab's sessionStorage (gone when the tab closes,
// never sent anywhere but the API), refreshed a minute before the access token expires and
// whenever the API answers 401.
const STORAGE_KEY = "vantage.session";
const REFRESH_MARGIN_MS = 60_000;
let refreshing = null;
let refreshTimer = null;

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || null;
  } catch {
    return null;
  }
}

function store(tokens) {
  const session = {
    access: tokens.access_token,
    refresh: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
  };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  scheduleRefresh();
  return session;
}

export function clearSession() {
  sessionStorage.removeItem(STORAGE_KEY);
  clearTimeout(refreshTimer);
}

export function isSignedIn() {
  return load() !== null;
}

async function post(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
}

/** Signs in; resolves to null on success, or to the problem document the API answered. */
export async function signIn(email, password, tenant) {
  const body = { email, password };
  if (tenant) body.tenant = tenant;
  const response = await post("/api/v1/auth/token", body);
  if (!response.ok) return response.json().catch(() => ({ title: response.statusText }));
  store(await response.json());
  return null;
}

/** Spends the refresh token once (a second use would revoke the whole sign-in). */
export function refresh() {
  if (refreshing) return refreshing;
  const session = load();
  if (!session) return Promise.resolve(false);
  refreshing = post("/api/v1/auth/refresh", { refresh_token: session.refresh })
    .then(async (response) => {
      if (!response.ok) {
        clearSession();
        return false;
      }
      store(await response.json());
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export function scheduleRefresh() {
  const session = load();
  clearTimeout(refreshTimer);
  if (!session) return;
  const wait = Math.max(0, session.expiresAt - Date.now() - REFRESH_MARGIN_MS);
  refreshTimer = setTimeout(refresh, wait);
}

/** A usable access token, refreshed first when it is about to expire; null when signed out. */
export async function accessToken() {
  let session = load();
  if (session && session.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
    await refresh();
    session = load();
  }
  return session ? session.access : null;
}

export async function signOut() {
  const session = load();
  clearSession();
  if (session) await post("/api/v1/auth/logout", { refresh_token: session.refresh }).catch(() => {});
  location.assign("/ui/sign-in");
}

/** Where to go after signing in: only a path on this site, never another origin. The URL
 * parser decides, as the browser will: it drops tabs and newlines and reads "\\" as "/", so
 * "/\t/example.com" leads off the site although it starts with one slash. */
export function safeNext(value) {
  if (!value || !value.startsWith("/")) return "/";
  const target = new URL(value, location.origin);
  return target.origin === location.origin ? target.pathname + target.search + target.hash : "/";
}

export function goToSignIn(expired = true) {
  clearSession();
  const next = encodeURIComponent(location.pathname + location.search);
  location.assign(`/ui/sign-in?next=${next}${expired ? "&expired=1" : ""}`);
}
