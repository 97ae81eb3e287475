# pagoda: an OpenAI-compatible LLM server on llama.cpp (CPU build).
#
#   docker build -t pagoda .
#   docker run -p 8000:8000 -v pagoda-models:/models -e HF_TOKEN \
#     pagoda --model hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M
#
# Arguments are `pagoda serve` flags (or another command: `pagoda ls`, `pull`,
# ...); every flag also reads PAGODA_<FLAG>. Models are cached in the /models
# volume. See docs/deploy.md.

# ---- build: compile TypeScript, then keep production dependencies only ----
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: node-llama-cpp's postinstall would only build llama.cpp from
# source when no prebuilt binary fits; linux-x64 and linux-arm64 ship prebuilt.
# `npm install`, not `npm ci`: npm 11's ci refuses this lock file, which lacks
# entries for node-llama-cpp's riscv64/mac/win optional packages (npm install
# keeps every version the lock file pins and skips those).
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY scripts/container ./scripts/container
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM node:20-slim
ENV NODE_ENV=production \
    PAGODA_CACHE=/models \
    PAGODA_HOST=0.0.0.0 \
    PAGODA_PORT=8000
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist/src ./dist/src
COPY --from=build --chown=root:root /app/bin ./bin
COPY --from=build --chown=root:root /app/scripts/container ./scripts/container
# The image's user `node` (uid 1000) owns only the model cache.
RUN mkdir -p /models && chown node:node /models
VOLUME /models
USER node
EXPOSE 8000
# /health is 200 only while serving (503 while loading and draining). The
# start period covers a first-run download or a large model's load.
HEALTHCHECK --interval=10s --timeout=5s --start-period=300s --retries=3 \
  CMD ["node", "/app/scripts/container/healthcheck.mjs"]
# docker stop sends SIGTERM: pagoda stops accepting, lets in-flight requests
# finish (--shutdown-timeout, 30 s), then exits 0; give it that long.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/scripts/container/entrypoint.sh"]
