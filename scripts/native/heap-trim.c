/*
 * pagoda's own N-API module, built beside the unified-KV addon by
 * `npm run build:native`: gives glibc's free heap pages back to the system.
 *
 * node-llama-cpp loads a model on a libuv worker thread, so llama.cpp's
 * loader mallocs in that thread's glibc arena: the GGUF's key/value pairs
 * (for a 150k-token vocabulary, 300k strings) and the vocabulary's build
 * scratch. Freed, they stay resident, since glibc returns a thread arena's
 * pages only from its top. llama-server loads on its main thread and reuses
 * that heap; measured here, the freed pages were ~44 MB of pagoda's RSS
 * (BENCHMARKS.md, issue 19). malloc_trim(0) releases free pages in every arena.
 */
#include <node_api.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value TrimNativeHeap(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#if defined(__GLIBC__)
  released = malloc_trim(0);
#endif
  napi_value result;
  napi_get_boolean(env, released == 1, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "trimNativeHeap", NAPI_AUTO_LENGTH, TrimNativeHeap, NULL, &fn);
  napi_set_named_property(env, exports, "trimNativeHeap", fn);
  return exports;
}
