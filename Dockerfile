# A runnable `resnet4j serve` image, built from this repository (docs/serving.md):
#   docker build -t resnet4j-serve .
#   docker run --rm -p 8080:8080 -v "$PWD/runs/fm:/model:ro" resnet4j-serve
# Stage 1 builds the jar and gathers its runtime class path with Maven; stage 2 is a JRE with only those.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Dependencies first, in their own layer: source changes do not download them again.
COPY pom.xml checkstyle.xml checkstyle-suppressions.xml ./
RUN mvn -B -q dependency:resolve
COPY src ./src
RUN mvn -B -q -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip package \
 && mvn -B -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/app/lib \
 && cp target/resnet4j.jar /app/

FROM eclipse-temurin:17-jre
# libgomp: libtorch's OpenMP runtime, when the system's is preferred over the bundled one.
RUN apt-get update -q && apt-get install -y -q --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /app --shell /usr/sbin/nologin resnet4j
COPY --from=build /app /app
# Native libraries unpack here; doing it once at build time (doctor runs the engine's self-check) makes the image's
# first start as fast as every later one, and lets the container run with a read-only root file system.
ENV RESNET4J_CACHE=/app/native
RUN java -cp "/app/resnet4j.jar:/app/lib/*" io.resnet4j.cli.Main doctor >/dev/null \
 && chown -R resnet4j /app/native
USER resnet4j
# What the ./resnet4j launcher sets for long-running commands: glibc keeps freed activations for the next batch
# instead of handing them back to the kernel and faulting them in again (BENCHMARKS.md, the inference profile).
ENV MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_ARENA_MAX=1
EXPOSE 8080
# Probes: GET /v2/health/live and /v2/health/ready (ready once the model is compiled and warmed).
ENTRYPOINT ["java", "-Xss4m", "-XX:+UseParallelGC", "-cp", "/app/resnet4j.jar:/app/lib/*", "io.resnet4j.cli.Main"]
CMD ["serve", "--model", "/model", "--host", "0.0.0.0", "--port", "8080"]
