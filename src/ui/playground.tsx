/** The chat playground: conversations, composer, streaming with stop, regenerate, edit, tool results. */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiErrorReply, type ListedModel } from "./api.js";
import { applyChunk, buildChatBody, emptyStats, hasOutput, unansweredCalls, type PlaygroundMessage, type Settings, type ToolCall } from "./chat.js";
import { CodeDialog, MessageView } from "./messages.js";
import { fieldOfParam, SettingsPanel } from "./settings-panel.js";
import { exportConversations, importConversations, loadConversations, loadSettings, newConversation, saveConversations, saveSettings, type Conversation } from "./store.js";

export function Playground({ models }: { models: ListedModel[] }) {
  const [settings, setSettingsState] = useState<Settings>(loadSettings);
  const [conversations, setConversations] = useState<Conversation[]>(() => {
    const stored = loadConversations();
    return stored.length > 0 ? stored : [newConversation()];
  });
  const [currentId, setCurrentId] = useState(() => conversations[0].id);
  const [running, setRunning] = useState<AbortController | null>(null);
  const [error, setError] = useState<{ message: string; field: string | null } | null>(null);
  const [draft, setDraft] = useState("");
  const [codeBody, setCodeBody] = useState<Record<string, unknown> | null>(null);
  const [notice, setNotice] = useState("");
  const endRef = useRef<HTMLDivElement>(null);
  const current = conversations.find((conversation) => conversation.id === currentId) ?? conversations[0];

  // Saved when a reply is complete, not once per streamed chunk.
  useEffect(() => {
    if (running === null) saveConversations(conversations);
  }, [conversations, running]);
  useEffect(() => {
    if (models.length > 0 && !models.some((model) => model.id === settings.model)) setSettings({ ...settings, model: models[0].id });
  }, [models]);
  useEffect(() => endRef.current?.scrollIntoView?.({ block: "end" }), [current.messages]);

  function setSettings(next: Settings) {
    setSettingsState(next);
    saveSettings(next);
  }

  function setMessages(conversationId: string, messages: PlaygroundMessage[]) {
    setConversations((all) =>
      all.map((conversation) =>
        conversation.id !== conversationId
          ? conversation
          : { ...conversation, messages, updatedAt: Date.now(), title: titleOf(messages) ?? conversation.title },
      ),
    );
  }

  async function generate(conversationId: string, history: PlaygroundMessage[]) {
    setError(null);
    const built = buildChatBody(settings, history);
    if ("field" in built) {
      setError({ message: built.message, field: built.field });
      return;
    }
    const controller = new AbortController();
    setRunning(controller);
    let reply: PlaygroundMessage = { role: "assistant", content: "", request: built.body, stats: emptyStats() };
    setMessages(conversationId, [...history, reply]);
    const startedAt = performance.now();
    let firstAt: number | null = null;
    // One paint per frame, however fast chunks come: re-rendering a long reply's markdown on every token
    // starved the page (it stopped answering clicks, Stop included, a few thousand tokens in).
    let isStreaming = true;
    let isPaintPending = false;
    const paint = () => {
      isPaintPending = false;
      if (isStreaming) setMessages(conversationId, [...history, reply]);
    };
    try {
      for await (const chunk of api.chat(built.body, controller.signal)) {
        reply = applyChunk(reply, chunk);
        if (firstAt === null && hasOutput(reply)) {
          firstAt = performance.now();
          reply = { ...reply, stats: { ...reply.stats!, timeToFirstTokenMs: firstAt - startedAt } };
        }
        if (!isPaintPending) {
          isPaintPending = true;
          requestAnimationFrame(paint);
        }
      }
    } catch (caught) {
      isStreaming = false;
      if (controller.signal.aborted) reply = { ...reply, stopped: true, finishReason: reply.finishReason ?? "abort" };
      else if (caught instanceof ApiErrorReply && !hasOutput(reply)) {
        // Refused before any output (a validation error): the request is shown as the API judged it, not as a reply.
        setError({ message: caught.message, field: fieldOfParam(caught.param) });
        setMessages(conversationId, history);
        setRunning(null);
        return;
      } else reply = { ...reply, error: (caught as Error).message };
    }
    isStreaming = false;
    const endedAt = performance.now();
    const generated = reply.stats?.completionTokens ?? null;
    if (firstAt !== null && generated !== null && generated > 1 && endedAt > firstAt) {
      reply = { ...reply, stats: { ...reply.stats!, tokensPerSecond: ((generated - 1) * 1000) / (endedAt - firstAt) } };
    }
    setMessages(conversationId, [...history, reply]);
    setRunning(null);
  }

  function send() {
    const text = draft.trim();
    if (text === "" || running) return;
    setDraft("");
    void generate(current.id, [...current.messages, { role: "user", content: text }]);
  }

  function stop() {
    running?.abort();
  }

  function onEdit(index: number, text: string) {
    void generate(current.id, [...current.messages.slice(0, index), { role: "user", content: text }]);
  }

  function onRegenerate(index: number) {
    void generate(current.id, current.messages.slice(0, index));
  }

  function onToolResult(index: number, call: ToolCall, result: string) {
    const messages = [...current.messages, { role: "tool" as const, toolCallId: call.id, content: result }];
    if (unansweredCalls(messages, index).length > 0) setMessages(current.id, messages);
    else void generate(current.id, messages);
  }

  function startNew() {
    const conversation = newConversation();
    setConversations((all) => [conversation, ...all]);
    setCurrentId(conversation.id);
  }

  function remove(id: string) {
    const rest = conversations.filter((conversation) => conversation.id !== id);
    const next = rest.length > 0 ? rest : [newConversation()];
    setConversations(next);
    if (id === currentId) setCurrentId(next[0].id);
  }

  async function onImport(file: File | undefined) {
    if (!file) return;
    try {
      const imported = await importConversations(file);
      const known = new Set(conversations.map((conversation) => conversation.id));
      setConversations([...imported.filter((conversation) => !known.has(conversation.id)), ...conversations]);
      setNotice(`Imported ${imported.length} conversation(s).`);
    } catch (caught) {
      setNotice(`Import failed: ${(caught as Error).message}`);
    }
  }

  const isBusy = running !== null;
  return (
    <div class="playground">
      <nav class="conversations" aria-label="Conversations">
        <button type="button" class="primary" onClick={startNew}>
          New chat
        </button>
        <ul>
          {[...conversations].sort((a, b) => b.updatedAt - a.updatedAt).map((conversation) => (
            <li key={conversation.id} class={conversation.id === current.id ? "current" : ""}>
              <button type="button" class="link" aria-current={conversation.id === current.id} onClick={() => setCurrentId(conversation.id)}>
                {conversation.title}
              </button>
              <button type="button" class="icon" aria-label={`Delete ${conversation.title}`} title="Delete" onClick={() => remove(conversation.id)}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <div class="actions">
          <button type="button" onClick={() => exportConversations(conversations)}>
            Export
          </button>
          <label class="button">
            Import
            <input type="file" accept="application/json,.json" class="hidden" onChange={(e) => void onImport(e.currentTarget.files?.[0])} />
          </label>
        </div>
        {notice && <p class="muted">{notice}</p>}
      </nav>
      <section class="chat" aria-label="Chat">
        <div class="messages" aria-live="polite">
          {current.messages.length === 0 && <p class="muted empty">Ask something. Enter sends, Shift+Enter adds a line, Escape stops.</p>}
          {current.messages.map((_, index) => (
            <MessageView
              key={index}
              messages={current.messages}
              index={index}
              isStreaming={isBusy && index === current.messages.length - 1 && current.messages[index].role === "assistant"}
              isBusy={isBusy}
              onEdit={onEdit}
              onRegenerate={onRegenerate}
              onToolResult={onToolResult}
              onShowCode={setCodeBody}
            />
          ))}
          <div ref={endRef} />
        </div>
        {error && (
          <p class="error" role="alert" data-testid="request-error">
            {error.message}
          </p>
        )}
        <form
          class="composer"
          onSubmit={(event) => {
            event.preventDefault();
            send();
          }}
        >
          <textarea
            aria-label="Message"
            name="message"
            rows={2}
            value={draft}
            placeholder={models.length === 0 ? "Loading models…" : "Message"}
            onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                send();
              } else if (e.key === "Escape") stop();
            }}
          />
          {isBusy ? (
            <button type="button" class="danger" onClick={stop}>
              Stop
            </button>
          ) : (
            <button type="submit" class="primary" disabled={draft.trim() === "" || models.length === 0}>
              Send
            </button>
          )}
        </form>
      </section>
      <details class="settings-wrap" open>
        <summary>Settings</summary>
        <SettingsPanel models={models} settings={settings} onChange={setSettings} invalidField={error?.field ?? null} />
      </details>
      {codeBody && <CodeDialog body={codeBody} onClose={() => setCodeBody(null)} />}
    </div>
  );
}

function titleOf(messages: PlaygroundMessage[]): string | null {
  const first = messages.find((message) => message.role === "user");
  if (!first) return null;
  const line = first.content.split("\n")[0];
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}
