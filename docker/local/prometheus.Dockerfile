# Prometheus from Debian's package, standing in for the official prom/prometheus image where no
# registry can be reached (scripts/container-test.sh builds it). Same interface as docker/compose.yaml
# uses it: config in /etc/prometheus/prometheus.yml, data in /prometheus, flags as the command, port 9090.
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus /etc/prometheus \
 && chown nobody:nogroup /prometheus
USER nobody
VOLUME /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
