#!/usr/bin/env bash
# JMH micro-benchmarks of the hot paths: scripts/jmh.sh [JMH options, e.g. -p precision=fp32 InferenceBenchmark]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt \
  -Dmdep.includeScope=test
exec java -Xss4m -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" org.openjdk.jmh.Main "$@"
