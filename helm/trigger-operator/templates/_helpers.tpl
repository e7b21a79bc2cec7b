{{/* The chart name, or nameOverride. */}}
{{- define "trigger-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name: fullnameOverride, or the release name (plus the chart name unless the release name has it). */}}
{{- define "trigger-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "trigger-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "trigger-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trigger-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "trigger-operator.labels" -}}
helm.sh/chart: {{ include "trigger-operator.chart" . }}
{{ include "trigger-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: trigger-operator
{{- end }}

{{- define "trigger-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "trigger-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "trigger-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The base of status.url: publicBaseUrl, else the Ingress host, else the in-cluster webhook Service. */}}
{{- define "trigger-operator.webhookBaseUrl" -}}
{{- if .Values.webhook.publicBaseUrl }}
{{- .Values.webhook.publicBaseUrl | trimSuffix "/" }}
{{- else if and .Values.webhook.ingress.enabled .Values.webhook.ingress.host }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.webhook.ingress.tls) 0)) .Values.webhook.ingress.host }}
{{- else }}
{{- $port := ternary "" (printf ":%v" .Values.webhook.service.port) (eq (int .Values.webhook.service.port) 80) }}
{{- printf "http://%s-webhook.%s.svc%s" (include "trigger-operator.fullname" .) .Release.Namespace $port }}
{{- end }}
{{- end }}

{{/*
The rules the operator needs where Triggers live, and nothing more (README explains each):
- triggers: watched (list/watch, get); patch of metadata labels (merge patch), never of spec;
- triggers/status: merge patches of the status;
- deployments, statefulsets, daemonsets: looked up (get by name, and again on a ScaleUp conflict; list by
  label for Application targets) and patched (restart annotations on the pod template; ScaleUp patches
  spec.replicas on the workload itself, so the scale subresource is not used); never watched;
- secrets: by name only, never listed nor watched: the webhook source's owned <trigger>-webhook Secrets
  (get, create, update on rotation) and credentials Secrets of SQS/NATS sources (get);
- events: Fired / FireFailed and source Events on Triggers (created; patched to count a reason seen again).
*/}}
{{- define "trigger-operator.rules" -}}
- apiGroups: ["triggers.dev"]
  resources: ["triggers"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["triggers.dev"]
  resources: ["triggers/status"]
  verbs: ["patch"]
- apiGroups: ["triggers.dev"]
  resources: ["triggergrants"]
  verbs: ["get", "list", "watch"]
# SQS roleArn: a token of the Trigger's own ServiceAccount for STS (no read of ServiceAccounts).
- apiGroups: [""]
  resources: ["serviceaccounts/token"]
  verbs: ["create"]
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets", "daemonsets"]
  verbs: ["get", "list", "patch"]
# ScaleUp of a workload an HPA targets: find it (list), raise and restore its minReplicas (patch, get).
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "patch"]
# target.kind Rollout (Argo Rollouts): read by name, restarted through spec.restartAt, scaled through spec.replicas.
- apiGroups: ["argoproj.io"]
  resources: ["rollouts"]
  verbs: ["get", "patch"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create", "update"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* PromQL label matchers for this release's scrapes: metrics.prometheusRule.selector, else the ServiceMonitor's job. */}}
{{- define "trigger-operator.metricsSelector" -}}
{{- .Values.metrics.prometheusRule.selector | default (printf "job=%q" (printf "%s-metrics" (include "trigger-operator.fullname" .))) }}
{{- end }}
