# victor-perf's server as an image: `victor-perf serve`, from the package exactly as npm installs it (built and
# packed in the first stage, installed without dev dependencies in the second).
#   docker build -t victor-perf:0.1.0 .
# The server binds 0.0.0.0 here (VICTOR_PERF_HOST) and so needs a token: pass VICTOR_PERF_TOKEN or
# --token-file (examples/kubernetes takes it from a Secret). Probes: /healthz and /readyz, no token needed.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# `npm pack` runs the prepack build; the tarball holds what package.json's `files` lists.
RUN mkdir /tmp/pkg && npm pack --pack-destination /tmp/pkg

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /tmp/pkg/ /tmp/pkg/
# Fastify is the server's optional peer dependency; this image serves, so it installs it.
RUN npm install --omit=dev --no-audit --no-fund /tmp/pkg/victor-perf-*.tgz fastify@^5 \
  && rm -rf /tmp/pkg /root/.npm
ENV NODE_ENV=production \
  VICTOR_PERF_HOST=0.0.0.0
# The node image's unprivileged user; the root filesystem can be mounted read-only.
USER 1000:1000
EXPOSE 8000
ENTRYPOINT ["/app/node_modules/.bin/victor-perf"]
CMD ["serve", "--port", "8000"]
