/** One message of the conversation: markdown or checked JSON, folded reasoning, tool-call cards, stats, actions. */
import { useMemo, useState } from "preact/hooks";
import { api } from "./api.js";
import { unansweredCalls, type PlaygroundMessage, type ReplyStats, type ToolCall } from "./chat.js";
import { schemaErrors } from "./json-check.js";
import { renderMarkdown } from "./markdown.js";
import { curlSnippet, pythonSnippet, typescriptSnippet } from "./snippets.js";

interface Props {
  messages: PlaygroundMessage[];
  index: number;
  isStreaming: boolean;
  isBusy: boolean;
  onEdit: (index: number, text: string) => void;
  onRegenerate: (index: number) => void;
  onToolResult: (index: number, call: ToolCall, result: string) => void;
  onShowCode: (body: Record<string, unknown>) => void;
}

export function MessageView({ messages, index, isStreaming, isBusy, onEdit, onRegenerate, onToolResult, onShowCode }: Props) {
  const message = messages[index];
  const [editing, setEditing] = useState<string | null>(null);
  if (message.role === "tool") {
    return (
      <div class="message tool" data-role="tool">
        <div class="who">tool result</div>
        <pre class="code">{message.content}</pre>
      </div>
    );
  }
  if (message.role === "user") {
    return (
      <div class="message user" data-role="user">
        <div class="who">you</div>
        {editing === null ? (
          <div class="text plain">{message.content}</div>
        ) : (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              onEdit(index, editing);
              setEditing(null);
            }}
          >
            <textarea aria-label="Edit message" value={editing} rows={3} onInput={(e) => setEditing(e.currentTarget.value)} />
            <button type="submit">Save and send</button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </form>
        )}
        {editing === null && !isBusy && (
          <div class="actions">
            <button type="button" onClick={() => setEditing(message.content)}>
              Edit
            </button>
          </div>
        )}
      </div>
    );
  }
  const pending = unansweredCalls(messages, index);
  return (
    <div class={`message assistant${isStreaming ? " streaming" : ""}`} data-role="assistant" data-finish={message.finishReason ?? ""} aria-busy={isStreaming}>
      <div class="who">assistant{message.stopped ? " (stopped)" : ""}</div>
      {message.reasoning && (
        <details class="reasoning">
          <summary>Reasoning ({message.reasoning.length} characters)</summary>
          <div class="text plain">{message.reasoning}</div>
        </details>
      )}
      <Body message={message} isStreaming={isStreaming} />
      {message.toolCalls?.map((call) => (
        <ToolCard key={call.id} call={call} isPending={!isStreaming && !isBusy && pending.includes(call)} onResult={(result) => onToolResult(index, call, result)} />
      ))}
      {message.error && (
        <p class="error" role="alert">
          {message.error}
        </p>
      )}
      {message.stats && <Stats stats={message.stats} finishReason={message.finishReason} />}
      {!isStreaming && (
        <div class="actions">
          {!isBusy && (
            <button type="button" onClick={() => onRegenerate(index)}>
              Regenerate
            </button>
          )}
          {message.request && (
            <button type="button" onClick={() => onShowCode(message.request!)}>
              Copy as code
            </button>
          )}
          <button type="button" onClick={() => copyText(message.content)}>
            Copy text
          </button>
        </div>
      )}
    </div>
  );
}

function Body({ message, isStreaming }: { message: PlaygroundMessage; isStreaming: boolean }) {
  const format = (message.request?.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined) ?? undefined;
  if (format && format.type !== "text" && !isStreaming && message.content !== "") {
    let value: unknown;
    try {
      value = JSON.parse(message.content);
    } catch (error) {
      return (
        <div class="json">
          <pre class="code">{message.content}</pre>
          <p class="verdict bad" data-testid="json-verdict">
            Not valid JSON: {(error as Error).message}
          </p>
        </div>
      );
    }
    const errors = format.json_schema?.schema !== undefined ? schemaErrors(value, format.json_schema.schema as Record<string, unknown>) : [];
    return (
      <div class="json">
        <pre class="code" data-testid="json-reply">
          {JSON.stringify(value, null, 2)}
        </pre>
        <p class={`verdict ${errors.length === 0 ? "good" : "bad"}`} data-testid="json-verdict">
          {errors.length === 0 ? (format.json_schema ? "Valid JSON, matches the schema" : "Valid JSON") : `Does not match the schema: ${errors.join("; ")}`}
        </p>
      </div>
    );
  }
  if (message.content === "") return isStreaming && !message.toolCalls ? <div class="text typing">…</div> : null;
  return <Markdown text={message.content} />;
}

/** Rendered again only when its text changes, not on every chunk of a later message. */
function Markdown({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return <div class="text markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}

function ToolCard({ call, isPending, onResult }: { call: ToolCall; isPending: boolean; onResult: (result: string) => void }) {
  const [result, setResult] = useState("");
  let args = call.function.arguments;
  try {
    args = JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    // Still streaming, or not JSON: shown as it came.
  }
  return (
    <div class="tool-call" data-testid="tool-call">
      <div class="tool-name">
        call <code>{call.function.name}</code> <span class="muted">{call.id}</span>
      </div>
      <pre class="code">{args}</pre>
      {isPending && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            onResult(result);
          }}
        >
          <label>
            Result of {call.function.name}
            <textarea name="tool_result" rows={2} value={result} onInput={(e) => setResult(e.currentTarget.value)} />
          </label>
          <button type="submit">Send result</button>
        </form>
      )}
    </div>
  );
}

function Stats({ stats, finishReason }: { stats: ReplyStats; finishReason?: string | null }) {
  const parts = [
    stats.promptTokens !== null && `${stats.promptTokens} prompt`,
    stats.cachedTokens ? `${stats.cachedTokens} cached` : null,
    stats.completionTokens !== null && `${stats.completionTokens} output tokens`,
    stats.timeToFirstTokenMs !== null && `TTFT ${Math.round(stats.timeToFirstTokenMs)} ms`,
    stats.tokensPerSecond !== null && `${stats.tokensPerSecond.toFixed(1)} tokens/s`,
    finishReason && `finish: ${finishReason}`,
  ].filter(Boolean);
  return (
    <div class="stats" data-testid="reply-stats">
      {parts.join(" · ")}
    </div>
  );
}

export function CodeDialog({ body, onClose }: { body: Record<string, unknown>; onClose: () => void }) {
  const [tab, setTab] = useState<"curl" | "python" | "typescript">("curl");
  const input = { baseUrl: api.baseUrl, needsKey: api.key !== "", body };
  const code = tab === "curl" ? curlSnippet(input) : tab === "python" ? pythonSnippet(input) : typescriptSnippet(input);
  return (
    <div class="modal" role="dialog" aria-modal="true" aria-label="Copy as code" onKeyDown={(e) => e.key === "Escape" && onClose()}>
      <div class="modal-box wide">
        <div class="tabs" role="tablist">
          {(["curl", "python", "typescript"] as const).map((name) => (
            <button type="button" role="tab" aria-selected={tab === name} key={name} onClick={() => setTab(name)}>
              {name === "python" ? "Python" : name === "typescript" ? "TypeScript" : "curl"}
            </button>
          ))}
        </div>
        <pre class="code snippet" data-testid="snippet">
          {code}
        </pre>
        <div class="actions">
          <button type="button" onClick={() => copyText(code)}>
            Copy
          </button>
          <button type="button" autoFocus onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}

function copyText(text: string): void {
  // The clipboard API exists only on secure origins (https or localhost).
  navigator.clipboard?.writeText(text).catch(() => undefined);
}
