# openpan's container image: the one binary on a slim Debian, run as an unprivileged user.
#   docker build -t openpan .                                   # ~100 MB
#   docker build -t openpan:previews --build-arg PREVIEWS=1 .   # with LibreOffice and poppler
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p openpan \
    && strip target/release/openpan

FROM debian:bookworm-slim
ARG PREVIEWS=0
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && if [ "$PREVIEWS" = 1 ]; then \
         apt-get install -y --no-install-recommends libreoffice-writer-nogui libreoffice-calc-nogui \
           libreoffice-impress-nogui poppler-utils fonts-noto-cjk; \
       fi \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/openpan --create-home openpan
COPY --from=build /src/target/release/openpan /usr/local/bin/openpan
USER openpan
ENV OPENPAN_DATA_DIR=/var/lib/openpan \
    OPENPAN_LISTEN=0.0.0.0:8080
VOLUME /var/lib/openpan
EXPOSE 8080
ENTRYPOINT ["openpan"]
CMD ["serve"]
