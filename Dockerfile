# syntax=docker/dockerfile:1
# ActivityCrm: multi-stage build. The image runs the app against the PostgreSQL named by
# ConnectionStrings__ActivityCrm (it has no embedded database: without a connection string it stops
# with one sentence saying so). See docker-compose.yml for a production-like start with PostgreSQL.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so the layer is reused until a dependency changes.
# global.json is left out on purpose: it pins this repository's development SDK band, while the image
# brings whatever 10.0 SDK is current.
COPY Directory.Build.props Directory.Packages.props ./
COPY eng/ eng/
COPY ActivityCrm.Data/ActivityCrm.Data.csproj ActivityCrm.Data/
COPY ActivityCrm.Web/ActivityCrm.Web.csproj ActivityCrm.Web/BlazorWebJsFromNet9.targets ActivityCrm.Web/
RUN dotnet restore ActivityCrm.Web/ActivityCrm.Web.csproj
COPY ActivityCrm.Data/ ActivityCrm.Data/
COPY ActivityCrm.Web/ ActivityCrm.Web/
RUN dotnet publish ActivityCrm.Web/ActivityCrm.Web.csproj -c Release -o /app --no-restore /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl only for the container health check below.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
EXPOSE 8080
# The image's built-in non-root user (uid 1654).
USER $APP_UID
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://localhost:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "ActivityCrm.Web.dll"]
