/** Conversations and settings kept in the browser (localStorage), with JSON export and import. */
import { defaultSettings, type PlaygroundMessage, type Settings } from "./chat.js";

export interface Conversation {
  id: string;
  title: string;
  messages: PlaygroundMessage[];
  updatedAt: number;
}

const conversationsKey = "pagoda.conversations";
const settingsKey = "pagoda.settings";

export function loadConversations(): Conversation[] {
  try {
    const stored = JSON.parse(localStorage.getItem(conversationsKey) ?? "[]");
    return Array.isArray(stored) ? stored.filter(isConversation) : [];
  } catch {
    return [];
  }
}

export function saveConversations(conversations: Conversation[]): void {
  try {
    localStorage.setItem(conversationsKey, JSON.stringify(conversations));
  } catch {
    // Full storage: the conversation stays in memory; export still works.
  }
}

export function loadSettings(): Settings {
  try {
    const stored = JSON.parse(localStorage.getItem(settingsKey) ?? "{}");
    return { ...defaultSettings, ...stored, sampling: { ...defaultSettings.sampling, ...stored.sampling } };
  } catch {
    return defaultSettings;
  }
}

export function saveSettings(settings: Settings): void {
  localStorage.setItem(settingsKey, JSON.stringify(settings));
}

export function newConversation(): Conversation {
  return { id: crypto.randomUUID?.() ?? String(Math.random()).slice(2), title: "New chat", messages: [], updatedAt: Date.now() };
}

export function exportConversations(conversations: Conversation[]): void {
  const blob = new Blob([JSON.stringify({ pagoda: 1, conversations }, null, 2)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `pagoda-conversations-${new Date().toISOString().slice(0, 10)}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

/** Reads an exported file; throws with a readable message when it is not one. */
export async function importConversations(file: File): Promise<Conversation[]> {
  const parsed = JSON.parse(await file.text());
  const list = Array.isArray(parsed) ? parsed : parsed?.conversations;
  if (!Array.isArray(list)) throw new Error("not a pagoda conversations file");
  const conversations = list.filter(isConversation);
  if (conversations.length === 0) throw new Error("no conversations in the file");
  return conversations;
}

function isConversation(value: any): value is Conversation {
  return typeof value?.id === "string" && typeof value?.title === "string" && Array.isArray(value?.messages);
}
