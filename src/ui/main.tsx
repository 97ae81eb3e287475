/** The page: header with tabs (playground at `/`, dashboard at `/dashboard`), theme, API-key prompt. */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { api, type ListedModel } from "./api.js";
import { Dashboard } from "./dashboard.js";
import { Playground } from "./playground.js";

type Tab = "playground" | "dashboard";
type Theme = "auto" | "light" | "dark";

const tabOfLocation = (): Tab => (location.pathname.replace(/\/+$/, "").endsWith("/dashboard") ? "dashboard" : "playground");

function App() {
  const [tab, setTab] = useState<Tab>(tabOfLocation);
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem("pagoda.theme") as Theme) ?? "auto");
  const [models, setModels] = useState<ListedModel[]>([]);
  const [loadError, setLoadError] = useState("");
  const [needsKey, setNeedsKey] = useState(false);

  const loadModels = () =>
    api.models().then(
      (list) => {
        setModels(list);
        setLoadError("");
      },
      (error: Error) => setLoadError(error.message),
    );

  useEffect(() => {
    void loadModels();
    const onPop = () => setTab(tabOfLocation());
    addEventListener("popstate", onPop);
    const unsubscribe = api.onChange(() => setNeedsKey(api.needsKey));
    return () => {
      removeEventListener("popstate", onPop);
      unsubscribe();
    };
  }, []);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("pagoda.theme", theme);
  }, [theme]);

  const go = (next: Tab) => (event: MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    history.pushState(null, "", next === "dashboard" ? "dashboard" : "./");
    setTab(next);
  };

  return (
    <>
      <header class="top">
        <span class="brand">pagoda</span>
        <nav class="tabs" aria-label="Views">
          <a href="./" aria-current={tab === "playground" ? "page" : undefined} onClick={go("playground")}>
            Playground
          </a>
          <a href="dashboard" aria-current={tab === "dashboard" ? "page" : undefined} onClick={go("dashboard")}>
            Dashboard
          </a>
        </nav>
        <span class="spacer" />
        <a class="muted" href="docs">
          API docs
        </a>
        <label class="theme">
          <span class="sr-only">Theme</span>
          <select value={theme} onChange={(e) => setTheme(e.currentTarget.value as Theme)} aria-label="Theme">
            <option value="auto">auto</option>
            <option value="light">light</option>
            <option value="dark">dark</option>
          </select>
        </label>
      </header>
      {loadError && !needsKey && (
        <p class="error banner" role="alert">
          Could not list models: {loadError}
        </p>
      )}
      <main>{tab === "playground" ? <Playground models={models} /> : <Dashboard key={needsKey ? "locked" : "open"} theme={theme} />}</main>
      {needsKey && <KeyDialog wasRefused={api.key !== ""} onKey={() => void loadModels()} />}
    </>
  );
}

function KeyDialog({ wasRefused, onKey }: { wasRefused: boolean; onKey: () => void }) {
  const [key, setKey] = useState("");
  return (
    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="key-title">
      <form
        class="modal-box"
        onSubmit={(event) => {
          event.preventDefault();
          api.setKey(key.trim());
          onKey();
        }}
      >
        <h2 id="key-title">API key</h2>
        <p>This server wants an API key (its <code>--api-key</code>). It is kept in this tab's session storage only.</p>
        {wasRefused && (
          <p class="error" role="alert">
            The server refused that key.
          </p>
        )}
        <input type="password" name="api_key" aria-label="API key" autoFocus autoComplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <div class="actions">
          <button type="submit" class="primary" disabled={key.trim() === ""}>
            Use key
          </button>
        </div>
      </form>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
