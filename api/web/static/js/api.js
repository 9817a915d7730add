// The only way the pages reach the server: the public API, with the signed-in bearer token.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export const session = {
  get token() { return sessionStorage.getItem("onestop.token"); },
  get user() { return JSON.parse(sessionStorage.getItem("onestop.user") || "null"); },
  save(token, user) {
    sessionStorage.setItem("onestop.token", token);
    sessionStorage.setItem("onestop.user", JSON.stringify(user));
  },
  clear() { sessionStorage.removeItem("onestop.token"); sessionStorage.removeItem("onestop.user"); },
  hasRole(...roles) { const user = this.user; return !!user && roles.some((role) => user.roles.includes(role)); },
};

export async function api(path, { method = "GET", json, form, text = false, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (session.token) init.headers.Authorization = `Bearer ${session.token}`;
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const body = text ? await response.text() : await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && session.token && !path.startsWith("/api/auth")) {
      session.clear();
      location.hash = "#/login";
    }
    throw new ApiError(response.status, text ? { detail: body } : body);
  }
  return body;
}
