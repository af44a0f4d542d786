# One image for every service; docker-compose.yml picks the entry point.
# Build stage: every dependency, the TypeScript compiled to dist/ (npm run build).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The SDK is a workspace of this repository: npm ci needs its manifest.
COPY client/package.json client/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Run stage: production dependencies and the compiled services; no TypeScript loader at run time.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY client/package.json client/
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
USER node
# Each service listens on its own port; HOST=0.0.0.0 is set by docker-compose.yml.
CMD ["node", "dist/scripts/start.js"]
