# The silo's image: docker build -t mdl-silo:latest .   (see docs/operations.md)
# tests/Mdl.Tests/Deployment/KubernetesManifestTests.cs checks this file against the code and k8s/.

# The SDK global.json asks for: its rollForward (latestFeature) never rolls down, and the floating sdk:10.0 tag may
# carry an older feature band. Bump this line together with global.json.
FROM mcr.microsoft.com/dotnet/sdk:10.0.401 AS build
WORKDIR /src

# Restore from the files that decide the package graph only, so a code change reuses the restore layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Grains.Interfaces/Grains.Interfaces.csproj src/Grains.Interfaces/
COPY src/Grains/Grains.csproj src/Grains/
COPY src/Silo/Silo.csproj src/Silo/
RUN dotnet restore src/Silo/Silo.csproj

COPY src/ src/
RUN dotnet publish src/Silo/Silo.csproj -c Release --no-restore -o /app -p:UseAppHost=false

# The ASP.NET Core runtime only; the floating 10.0 tag brings runtime security patches on rebuild.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .

# The image's `app` user, by number: Kubernetes's runAsNonRoot can only verify a numeric user.
USER 1654

# HTTP (API, dashboard, health, /metrics), silo-to-silo, client gateway: the MdlSiloOptions defaults.
EXPOSE 8080 11111 30000
ENTRYPOINT ["dotnet", "Mdl.Silo.dll"]
