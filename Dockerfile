# syntax=docker/dockerfile:1
# outpost: main registry and edge cache in one image.
#   docker run -p 5000:5000 -v outpost-main:/data outpost main --listen 0.0.0.0:5000 --public-url https://registry.example.com
#   docker run -p 5001:5001 -e OUTPOST_HEALTH_PORT=5001 -v outpost-edge:/data outpost edge --listen 0.0.0.0:5001 --name sg --upstream https://registry.example.com --public-url https://sg.registry.example.com

ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# lmdb ships prebuilt binaries for linux-x64/arm64; the toolchain is only a fallback.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY main ./main
COPY edge ./edge
COPY bin ./bin
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    OUTPOST_MAIN_DATA_DIR=/data/main \
    OUTPOST_EDGE_DATA_DIR=/data/edge
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN ln -s /app/dist/bin/outpost.js /usr/local/bin/outpost && chmod +x /app/dist/bin/outpost.js \
    && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 5000 5001
# /health answers 200 while the store is usable (main and edge alike). Edge containers
# listening on another port set OUTPOST_HEALTH_PORT (e.g. 5001).
ENV OUTPOST_HEALTH_PORT=5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.OUTPOST_HEALTH_PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["outpost"]
CMD ["main", "--listen", "0.0.0.0:5000"]
