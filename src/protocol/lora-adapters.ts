/**
 * vLLM's runtime LoRA routes (`POST /v1/load_lora_adapter`, `POST
 * /v1/unload_lora_adapter`), on only with --enable-runtime-lora-updating as
 * vLLM's are with VLLM_ALLOW_RUNTIME_LORA_UPDATING: the wire bodies, vLLM's
 * messages and status codes, and its plain-text success answers. What loading
 * means is the manager's (cli/runtime-lora.ts).
 */
import { z } from "zod";
import { InvalidRequestError } from "../errors.js";
import { parseRequest } from "./parse.js";

/** Loads and unloads adapters on the served base model; throws domain errors (404 for a missing file or name, 400 otherwise). */
export interface LoraAdapterManager {
  load(name: string, path: string): Promise<void>;
  unload(name: string): Promise<void>;
}

const loadRequest = z.object({
  lora_name: z.string().optional(),
  lora_path: z.string().optional(),
  load_inplace: z.boolean().optional(),
});

const unloadRequest = z.object({
  lora_name: z.string().optional(),
  lora_int_id: z.number().int().optional(),
});

export class LoraAdapterServing {
  constructor(private readonly manager: LoraAdapterManager) {}

  /** 200 with vLLM's plain-text answer. */
  async load(body: unknown): Promise<string> {
    const request = parseRequest(loadRequest, body);
    if (!request.lora_name || !request.lora_path) {
      throw new InvalidRequestError("Both 'lora_name' and 'lora_path' must be provided.", { param: request.lora_name ? "lora_path" : "lora_name" });
    }
    if (request.load_inplace) {
      throw new InvalidRequestError("load_inplace is not supported: unload the adapter, then load it again.", { param: "load_inplace" });
    }
    await this.manager.load(request.lora_name, request.lora_path);
    return `Success: LoRA adapter '${request.lora_name}' added successfully.`;
  }

  async unload(body: unknown): Promise<string> {
    const request = parseRequest(unloadRequest, body);
    if (!request.lora_name) {
      // vLLM also takes lora_int_id; pagoda's adapters have names only.
      throw new InvalidRequestError("'lora_name' needs to be provided to unload a LoRA adapter.", { param: "lora_name" });
    }
    await this.manager.unload(request.lora_name);
    return `Success: LoRA adapter '${request.lora_name}' removed successfully.`;
  }
}
