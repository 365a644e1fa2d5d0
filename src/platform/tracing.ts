import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import { FetchHttpClient } from "@effect/platform"
import { type Duration, Effect, Layer } from "effect"

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT: the spans Score makes (`Effect.withSpan`) are sent as OTLP/HTTP JSON to
 * `<endpoint>/v1/traces`, in batches every few seconds, by Effect's own exporter (no OpenTelemetry SDK:
 * the SDK's tracer and context manager would sit on every request); the rest flushed at shutdown.
 * The endpoint is the operator's, not a workspace's: it does not go through the address guard.
 */
export const TracingOtlp = (endpoint: string, options: { readonly serviceName: string; readonly exportInterval?: Duration.DurationInput }) =>
  OtlpTracer.layer({
    url: `${endpoint.replace(/\/+$/, "")}/v1/traces`,
    resource: { serviceName: options.serviceName },
    exportInterval: options.exportInterval ?? "5 seconds"
  }).pipe(
    Layer.provide(Layer.merge(FetchHttpClient.layer, OtlpSerialization.layerJson)),
    Layer.tap(() => Effect.logInfo(`Traces: OTLP/HTTP to ${endpoint}`))
  )
