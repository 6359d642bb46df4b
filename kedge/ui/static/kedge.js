/* Kedge web UI: keeps pages live over the API's event stream, and runs the action buttons.
   Sections marked data-fragment="URL" data-on="app sync drift" are re-fetched (as server-rendered
   HTML) when an event of those types arrives for the app on screen. No framework, no build. */
"use strict";
(() => {
  const app = document.body.dataset.app || null;
  const live = document.getElementById("live");
  const timers = new Map();

  function toast(text, kind) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast " + (kind || "");
    item.textContent = text;
    box.appendChild(item);
    setTimeout(() => item.remove(), 6000);
  }

  function setLive(state, text) {
    if (!live) return;
    live.dataset.state = state;
    live.textContent = text;
  }

  function focusKey(el) {
    const active = document.activeElement;
    if (!active || !el.contains(active)) return null;
    const action = active.dataset.action;
    if (action === "suspend" || action === "resume") return '[data-action="suspend"], [data-action="resume"]';
    if (action) return `[data-action="${action}"]` + (active.dataset.id ? `[data-id="${active.dataset.id}"]` : "");
    return active.id ? "#" + CSS.escape(active.id) : null;
  }

  async function refresh(el) {
    let url = el.dataset.fragment;
    if (el.id === "apps-table") url += location.search;
    let res;
    try {
      res = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    } catch (err) {
      return;
    }
    if (res.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    if (!res.ok) return;
    const html = await res.text();
    const key = focusKey(el);
    el.innerHTML = html;
    if (key) {
      const again = el.querySelector(key);
      if (again) again.focus();
    }
    el.dataset.refreshed = String(Date.now());
  }

  function schedule(el, delay) {
    clearTimeout(timers.get(el));
    timers.set(el, setTimeout(() => refresh(el), delay === undefined ? 60 : delay));
  }

  function sections(type) {
    return Array.from(document.querySelectorAll("[data-fragment]")).filter(
      (el) => !type || (el.dataset.on || "").split(" ").includes(type));
  }

  function onEvent(type, data) {
    if (app && data.app !== app) return;
    sections(type).forEach((el) => schedule(el));
    if (app && type === "drift" && data.resource) {
      const what = `${data.resource.kind}/${data.resource.name}`;
      toast(data.revertedAt ? `Drift on ${what} reverted` : `Drift detected on ${what}`, data.revertedAt ? "ok" : "");
    }
    if (app && type === "sync" && (data.state === "succeeded" || data.state === "failed")) {
      toast(`${data.type === "rollback" ? "Rollback" : "Sync"} ${data.state}: ${data.revision || ""}`,
        data.state === "succeeded" ? "ok" : "bad");
    }
  }

  function connect() {
    if (!live || !window.EventSource) return;
    let opened = false;
    const stream = new EventSource("/api/v1/stream" + (app ? "?app=" + encodeURIComponent(app) : ""));
    stream.onopen = () => {
      if (opened) sections().forEach((el) => schedule(el)); // catch up on what was missed
      opened = true;
      setLive("on", "live");
    };
    stream.onerror = () => setLive(stream.readyState === EventSource.CLOSED ? "off" : "retry",
      stream.readyState === EventSource.CLOSED ? "offline" : "reconnecting…");
    for (const type of ["app", "sync", "drift"]) {
      stream.addEventListener(type, (ev) => {
        let data;
        try { data = JSON.parse(ev.data); } catch (err) { return; }
        onEvent(type, data);
      });
    }
  }

  async function call(method, path, body) {
    const res = await fetch(path, {
      method, credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try { data = await res.json(); } catch (err) { /* empty body */ }
    return { ok: res.ok, status: res.status, data };
  }

  const done = {
    sync: (d) => `Sync queued (${d.id})`,
    rollback: (d) => `Rollback to ${d.revision || "the chosen revision"} queued (${d.id})`,
    suspend: () => "Suspended: no automatic syncs until resumed",
    resume: () => "Resumed",
  };

  document.addEventListener("click", async (ev) => {
    const button = ev.target.closest("button[data-action]");
    if (!button || button.getAttribute("aria-busy") === "true") return;
    const action = button.dataset.action;
    if (action === "verify-audit") {
      const { ok, data } = await call("GET", "/api/v1/audit/verify");
      if (ok && data.ok) toast(`Audit chain intact: ${data.entries} entries`, "ok");
      else toast(data.reason || data.message || "Verification failed", "bad");
      return;
    }
    if (!app || !done[action]) return;
    let body = {};
    if (action === "rollback") {
      if (!window.confirm(`Roll back ${app} to revision ${button.dataset.revision}?`)) return;
      body = { id: Number(button.dataset.id) };
    }
    button.setAttribute("aria-busy", "true"); // not disabled: that would take the keyboard focus away
    try {
      const { ok, status, data } = await call("POST", `/api/v1/apps/${encodeURIComponent(app)}/${action}`, body);
      if (ok) toast(done[action](data), "ok");
      else toast(data.message || `${action} failed (${status})`, "bad");
      if (ok && (action === "suspend" || action === "resume")) sections("app").forEach((el) => schedule(el, 0));
    } finally {
      button.removeAttribute("aria-busy");
    }
  });

  const filters = document.querySelector("form[data-live-filter]");
  if (filters) {
    const apply = () => {
      const query = new URLSearchParams(new FormData(filters));
      for (const [k, v] of Array.from(query.entries())) if (!v) query.delete(k);
      const search = query.toString();
      history.replaceState(null, "", search ? "?" + search : location.pathname);
      sections("app").forEach((el) => schedule(el, 0));
    };
    let typing;
    filters.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(apply, 150); });
    filters.addEventListener("submit", (ev) => { ev.preventDefault(); apply(); });
  }

  document.querySelectorAll("[data-lazy]").forEach((el) => refresh(el));
  connect();
})();
