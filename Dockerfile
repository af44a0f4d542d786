# One image for every service; docker-compose.yml picks the entry point.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# The SDK is a workspace of this repository: npm ci needs its manifest.
COPY client/package.json client/
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
# Each service listens on its own port; HOST=0.0.0.0 is set by docker-compose.yml.
CMD ["node", "--import", "tsx", "scripts/start.ts"]
