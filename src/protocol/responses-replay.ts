/**
 * GET /v1/responses/{id}?stream=true: a stored response as the event stream
 * that would have produced it, one delta per item, its ids kept. Built by the
 * same ResponseEventBuilder as a live stream, so the order is the same.
 */
import type { ResponseOutputItem } from "openai/resources/responses/responses";
import { ResponseEventBuilder, type FinalStatus, type ResponseBody, type ResponseEvent } from "./responses-output.js";

export function replayEvents(response: ResponseBody): ResponseEvent[] {
  const ids = response.output.map((item) => ("id" in item && typeof item.id === "string" ? item.id : ""));
  const builder = new ResponseEventBuilder({ ...response, output: [] }, () => ids.shift() ?? "");
  const events = builder.start();
  response.output.forEach((item: ResponseOutputItem, index) => {
    if (item.type === "message") {
      const text = item.content.map((part) => (part.type === "output_text" ? part.text : part.refusal)).join("");
      events.push(...builder.push({ content: text, reasoning: "", toolCalls: [] }));
    } else if (item.type === "reasoning") {
      const text = (item.content ?? []).map((part) => part.text).join("");
      events.push(...builder.push({ content: "", reasoning: text, toolCalls: [] }));
    } else if (item.type === "function_call") {
      events.push(...builder.push({ content: "", reasoning: "", toolCalls: [{ index, id: item.call_id, name: item.name, arguments: item.arguments }] }));
    }
  });
  if (response.status === "in_progress") return events;
  const finished = builder.finish(response.status as FinalStatus, response.usage ?? null, response.error);
  return [...events, ...finished];
}
