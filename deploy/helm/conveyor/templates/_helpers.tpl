{{/* Names, labels and the pod parts every Conveyor process shares. */}}

{{- define "conveyor.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The long-running processes the one image runs, and the port each serves (probes, /metrics). */}}
{{- define "conveyor.components" -}}
api: {port: 8000}
web: {port: 8080}
worker: {port: 9100}
scheduler: {port: 9101}
{{- end -}}

{{/* The scrape job of a monitor's targets: conveyor-<component> from the pod's or Service's
     component label (argument: "pod" or "service"), so that Prometheus sees the jobs the alert
     and SLO rules select (conveyor-api, conveyor-web, conveyor-worker, conveyor-scheduler). */}}
{{- define "conveyor.jobRelabeling" -}}
- sourceLabels: [__meta_kubernetes_{{ . }}_label_app_kubernetes_io_component]
  regex: (.+)
  targetLabel: job
  replacement: conveyor-$1
  action: replace
{{- end -}}

{{- define "conveyor.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "conveyor.labels" -}}
{{ include "conveyor.selectorLabels" . }}
app.kubernetes.io/part-of: conveyor
app.kubernetes.io/version: {{ include "conveyor.version" .root | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
conveyor.io/team: {{ .root.Values.costAllocation.team | quote }}
{{- with .root.Values.costAllocation.costCenter }}
conveyor.io/cost-center: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "conveyor.version" -}}
{{- .Values.image.tag | default .Chart.AppVersion | trunc 63 -}}
{{- end -}}

{{/* By digest when one is given (prod requires it), else by tag. */}}
{{- define "conveyor.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{- define "conveyor.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "conveyor.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The database URL, from the user's Secret; the chart never holds it. Context: root and the
     Secret's key (the direct URL for the migration, "conveyor.processDatabaseKey" for the rest). */}}
{{- define "conveyor.databaseEnv" -}}
{{- if .root.Values.database.mountAsFile -}}
- name: CONVEYOR_DATABASE_URL_FILE
  value: /run/secrets/conveyor-database/{{ .key }}
{{- else -}}
- name: CONVEYOR_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.database.existingSecret }}
      key: {{ .key }}
{{- end }}
{{- end -}}

{{/* The Secret key the long-running processes connect with: through PgBouncer when it is on. */}}
{{- define "conveyor.processDatabaseKey" -}}
{{- if .Values.pgbouncer.enabled -}}
{{- .Values.pgbouncer.pooledKey -}}
{{- else -}}
{{- .Values.database.key -}}
{{- end -}}
{{- end -}}

{{/* The database Secret as files (database.mountAsFile): read again when rotated. */}}
{{- define "conveyor.databaseVolume" -}}
- name: database
  secret:
    secretName: {{ .Values.database.existingSecret }}
    defaultMode: 0400
{{- end -}}

{{- define "conveyor.databaseMount" -}}
- name: database
  mountPath: /run/secrets/conveyor-database
  readOnly: true
{{- end -}}

{{- define "conveyor.redisEnv" -}}
{{- if .Values.redis.existingSecret }}
- name: CONVEYOR_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.key }}
{{- end }}
{{- end -}}

{{/* /tmp is the one writable path (the root filesystem is read-only). */}}
{{- define "conveyor.tmpVolume" -}}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- end -}}

{{- define "conveyor.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "conveyor.topologySpread" -}}
- maxSkew: 1
  topologyKey: topology.kubernetes.io/zone
  whenUnsatisfiable: {{ .root.Values.topologySpread.zone }}
  labelSelector:
    matchLabels:
      {{- include "conveyor.selectorLabels" . | nindent 6 }}
  matchLabelKeys: [pod-template-hash]
- maxSkew: 1
  topologyKey: kubernetes.io/hostname
  whenUnsatisfiable: {{ .root.Values.topologySpread.node }}
  labelSelector:
    matchLabels:
      {{- include "conveyor.selectorLabels" . | nindent 6 }}
  matchLabelKeys: [pod-template-hash]
{{- end -}}

{{- define "conveyor.postgresqlEgress" -}}
- ports:
    - {protocol: TCP, port: {{ .Values.networkPolicy.postgresql.port }}}
  {{- with .Values.networkPolicy.postgresql.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* Where the long-running processes' database traffic goes: PgBouncer's pods, or PostgreSQL. */}}
{{- define "conveyor.databaseEgress" -}}
{{- if .Values.pgbouncer.enabled -}}
- to:
    - podSelector:
        matchLabels:
          {{- include "conveyor.selectorLabels" (dict "root" . "component" "pgbouncer") | nindent 10 }}
  ports:
    - {protocol: TCP, port: 6432}
{{- else -}}
{{- include "conveyor.postgresqlEgress" . }}
{{- end -}}
{{- end -}}

{{/* "true" when the component (ctx: root, component) is an Argo Rollout, else "". */}}
{{- define "conveyor.isRollout" -}}
{{- if and .root.Values.rollouts.enabled (has .component (list "api" "web")) }}true{{ end -}}
{{- end -}}

{{/* The kind autoscalers and budgets target for a component (ctx: root, component). */}}
{{- define "conveyor.workloadRef" -}}
{{- if include "conveyor.isRollout" . -}}
apiVersion: argoproj.io/v1alpha1
kind: Rollout
{{- else -}}
apiVersion: apps/v1
kind: Deployment
{{- end }}
{{- end -}}

{{/* A Rollout's strategy: the api as a canary whose analysis runs from its first step, web
     blue-green with the analysis before the switch. Both abort (back to stable) on failure. */}}
{{- define "conveyor.rolloutStrategy" -}}
{{- $fullname := include "conveyor.fullname" .root -}}
{{- $rollouts := .root.Values.rollouts -}}
{{- if eq .component "api" -}}
canary:
  maxSurge: 1
  maxUnavailable: 0
  analysis:
    templates:
      - templateName: {{ $fullname }}-slo
    startingStep: 1
  steps:
    {{- toYaml $rollouts.api.steps | nindent 4 }}
{{- else -}}
blueGreen:
  activeService: {{ $fullname }}-web
  previewService: {{ $fullname }}-web-preview
  autoPromotionEnabled: true
  scaleDownDelaySeconds: {{ $rollouts.web.scaleDownDelaySeconds }}
  prePromotionAnalysis:
    templates:
      - templateName: {{ $fullname }}-slo
{{- end }}
{{- end -}}
