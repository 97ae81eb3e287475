/** The playground's right-hand panel: model, system prompt, sampling, structured output, tools. */
import type { ListedModel } from "./api.js";
import { editableSamplingFields, type SamplingField, type Settings } from "./chat.js";

const samplingLabels: Record<SamplingField, string> = {
  temperature: "temperature",
  top_p: "top_p",
  top_k: "top_k",
  min_p: "min_p",
  presence_penalty: "presence penalty",
  frequency_penalty: "frequency penalty",
  repetition_penalty: "repetition penalty",
  max_tokens: "max_tokens",
  seed: "seed",
};

interface Props {
  models: ListedModel[];
  settings: Settings;
  onChange: (settings: Settings) => void;
  /** The request field the last API error named (its `param`), highlighted. */
  invalidField: string | null;
}

export function SettingsPanel({ models, settings, onChange, invalidField }: Props) {
  const set = <K extends keyof Settings>(key: K, value: Settings[K]) => onChange({ ...settings, [key]: value });
  const invalid = (field: string) => (invalidField === field ? "invalid" : undefined);
  const toolNames = namesOfTools(settings.tools);
  return (
    <form class="settings" aria-label="Request settings" onSubmit={(event) => event.preventDefault()}>
      <label>
        Model
        <select name="model" class={invalid("model")} value={settings.model} onChange={(e) => set("model", e.currentTarget.value)}>
          {models.map((model) => (
            <option value={model.id} key={model.id}>
              {model.parent ? `${model.id} (LoRA on ${model.parent})` : model.id}
            </option>
          ))}
        </select>
      </label>
      <label>
        System prompt
        <textarea name="system" rows={3} value={settings.system} onInput={(e) => set("system", e.currentTarget.value)} placeholder="You are a helpful assistant." />
      </label>
      <fieldset>
        <legend>Sampling</legend>
        <div class="grid2">
          {editableSamplingFields.map((field) => (
            <label key={field}>
              {samplingLabels[field]}
              <input
                name={field}
                class={invalid(field)}
                inputMode="decimal"
                autoComplete="off"
                value={settings.sampling[field]}
                placeholder="default"
                onInput={(e) => set("sampling", { ...settings.sampling, [field]: e.currentTarget.value })}
              />
            </label>
          ))}
        </div>
        <label>
          Stop sequences (one per line)
          <textarea name="stop" class={invalid("stop")} rows={2} value={settings.stop} onInput={(e) => set("stop", e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" name="ignore_eos" checked={settings.ignoreEos} onChange={(e) => set("ignoreEos", e.currentTarget.checked)} />
          ignore_eos (generate up to max_tokens)
        </label>
      </fieldset>
      <fieldset>
        <legend>Response format</legend>
        <select name="response_format" value={settings.responseFormat} onChange={(e) => set("responseFormat", e.currentTarget.value as Settings["responseFormat"])}>
          <option value="text">text</option>
          <option value="json_object">JSON object</option>
          <option value="json_schema">JSON schema</option>
        </select>
        {settings.responseFormat === "json_schema" && (
          <label>
            JSON schema
            <textarea name="schema" class={`code ${invalid("schema") ?? ""}`} rows={8} spellcheck={false} value={settings.schema} onInput={(e) => set("schema", e.currentTarget.value)} />
          </label>
        )}
      </fieldset>
      <fieldset>
        <legend>Tools</legend>
        <label class="check">
          <input type="checkbox" name="use_tools" checked={settings.useTools} onChange={(e) => set("useTools", e.currentTarget.checked)} />
          Send tools
        </label>
        {settings.useTools && (
          <>
            <label>
              tools (JSON)
              <textarea name="tools" class={`code ${invalid("tools") ?? ""}`} rows={8} spellcheck={false} value={settings.tools} onInput={(e) => set("tools", e.currentTarget.value)} />
            </label>
            <label>
              tool_choice
              <select name="tool_choice" class={invalid("tool_choice")} value={settings.toolChoice} onChange={(e) => set("toolChoice", e.currentTarget.value)}>
                {["auto", "none", "required", ...toolNames].map((choice) => (
                  <option value={choice} key={choice}>
                    {toolNames.includes(choice) ? `call ${choice}` : choice}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
      </fieldset>
    </form>
  );
}

/** The settings field an API error's `param` points at. */
export function fieldOfParam(param: string | null): string | null {
  if (!param) return null;
  const head = param.split(/[.[]/)[0];
  if (head === "response_format") return "schema";
  if (head === "tools" || head === "tool_choice" || head === "model" || head === "stop") return head;
  return (editableSamplingFields as readonly string[]).includes(head) ? head : head === "max_completion_tokens" ? "max_tokens" : null;
}

function namesOfTools(text: string): string[] {
  try {
    const tools = JSON.parse(text);
    return Array.isArray(tools) ? tools.map((tool) => tool?.function?.name).filter((name) => typeof name === "string") : [];
  } catch {
    return [];
  }
}
