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

// ``token``: another bearer token than the signed-in user's (an applicant's), or null for none.
export async function api(path, { method = "GET", json, form, text = false, headers = {}, token } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  const bearer = token === undefined ? session.token : token;
  if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
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
    if (response.status === 401 && token === undefined && session.token && !path.startsWith("/api/auth")) {
      session.clear();
      location.hash = "#/login";
    }
    throw new ApiError(response.status, text ? { detail: body } : body);
  }
  return body;
}
