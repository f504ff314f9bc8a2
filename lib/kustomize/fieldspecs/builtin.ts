/**
 * kustomize's built-in transformer configuration (api/internal/konfig/builtinpluginconsts at
 * kustomize v5.8.x, transcribed as data). Listed here in kustomize's file order; the merged default
 * config (defaultTransformerConfig) is sorted like kustomize sorts it.
 *
 * Note `images` uses the `[]` sequence hint (`spec/containers[]/image`) and
 * volumeClaimTemplateLabels `spec/volumeClaimTemplates[]/metadata/labels`; every other path relies
 * on the walker descending into sequences implicitly.
 *
 * GENERATED from the Go sources; edit by re-transcribing, not by hand.
 */
import type { FieldSpec, NameBackReferences } from './types.js';

/** `namePrefix` */
export const BUILTIN_NAME_PREFIX: readonly FieldSpec[] = [
  { path: 'metadata/name' },
];

/** `nameSuffix` */
export const BUILTIN_NAME_SUFFIX: readonly FieldSpec[] = [
  { path: 'metadata/name' },
];

/** `commonLabels` */
export const BUILTIN_COMMON_LABELS: readonly FieldSpec[] = [
  { version: 'v1', kind: 'Service', path: 'spec/selector', create: true },
  { version: 'v1', kind: 'ReplicationController', path: 'spec/selector', create: true },
  { kind: 'Deployment', path: 'spec/selector/matchLabels', create: true },
  { group: 'apps', kind: 'Deployment', path: 'spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels' },
  { group: 'apps', kind: 'Deployment', path: 'spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels' },
  { group: 'apps', kind: 'Deployment', path: 'spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels' },
  { group: 'apps', kind: 'Deployment', path: 'spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels' },
  { group: 'apps', kind: 'Deployment', path: 'spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels' },
  { kind: 'ReplicaSet', path: 'spec/selector/matchLabels', create: true },
  { kind: 'DaemonSet', path: 'spec/selector/matchLabels', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/selector/matchLabels', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels' },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels' },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels' },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels' },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels' },
  { group: 'batch', kind: 'Job', path: 'spec/selector/matchLabels' },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/spec/selector/matchLabels' },
  { group: 'policy', kind: 'PodDisruptionBudget', path: 'spec/selector/matchLabels' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', path: 'spec/podSelector/matchLabels' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', path: 'spec/ingress/from/podSelector/matchLabels' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', path: 'spec/egress/to/podSelector/matchLabels' },
  { path: 'metadata/labels', create: true },
  { version: 'v1', kind: 'ReplicationController', path: 'spec/template/metadata/labels', create: true },
  { kind: 'Deployment', path: 'spec/template/metadata/labels', create: true },
  { kind: 'ReplicaSet', path: 'spec/template/metadata/labels', create: true },
  { kind: 'DaemonSet', path: 'spec/template/metadata/labels', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/metadata/labels', create: true },
  { group: 'batch', kind: 'Job', path: 'spec/template/metadata/labels', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/metadata/labels', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/spec/template/metadata/labels', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/volumeClaimTemplates[]/metadata/labels', create: true },
];

/** `templateLabels` */
export const BUILTIN_TEMPLATE_LABELS: readonly FieldSpec[] = [
  { path: 'metadata/labels', create: true },
  { version: 'v1', kind: 'ReplicationController', path: 'spec/template/metadata/labels', create: true },
  { kind: 'Deployment', path: 'spec/template/metadata/labels', create: true },
  { kind: 'ReplicaSet', path: 'spec/template/metadata/labels', create: true },
  { kind: 'DaemonSet', path: 'spec/template/metadata/labels', create: true },
  { group: 'apps', kind: 'StatefulSet', path: 'spec/template/metadata/labels', create: true },
  { group: 'batch', kind: 'Job', path: 'spec/template/metadata/labels', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/metadata/labels', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/spec/template/metadata/labels', create: true },
];

/** `volumeClaimTemplateLabels` */
export const BUILTIN_VOLUME_CLAIM_TEMPLATE_LABELS: readonly FieldSpec[] = [
  { group: 'apps', kind: 'StatefulSet', path: 'spec/volumeClaimTemplates[]/metadata/labels', create: true },
];

/** `commonAnnotations` */
export const BUILTIN_COMMON_ANNOTATIONS: readonly FieldSpec[] = [
  { path: 'metadata/annotations', create: true },
  { version: 'v1', kind: 'ReplicationController', path: 'spec/template/metadata/annotations', create: true },
  { kind: 'Deployment', path: 'spec/template/metadata/annotations', create: true },
  { kind: 'ReplicaSet', path: 'spec/template/metadata/annotations', create: true },
  { kind: 'DaemonSet', path: 'spec/template/metadata/annotations', create: true },
  { kind: 'StatefulSet', path: 'spec/template/metadata/annotations', create: true },
  { group: 'batch', kind: 'Job', path: 'spec/template/metadata/annotations', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/metadata/annotations', create: true },
  { group: 'batch', kind: 'CronJob', path: 'spec/jobTemplate/spec/template/metadata/annotations', create: true },
];

/** `namespace` */
export const BUILTIN_NAMESPACE: readonly FieldSpec[] = [
  { kind: 'Namespace', path: 'metadata/name', create: true },
  { group: 'apiregistration.k8s.io', kind: 'APIService', path: 'spec/service/namespace', create: true },
  { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', path: 'spec/conversion/webhook/clientConfig/service/namespace' },
];

/** `varReference` */
export const BUILTIN_VAR_REFERENCE: readonly FieldSpec[] = [
  { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/containers/args' },
  { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/containers/command' },
  { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/containers/env/value' },
  { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/containers/volumeMounts/mountPath' },
  { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/initContainers/args' },
  { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/initContainers/command' },
  { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/initContainers/env/value' },
  { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath' },
  { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/volumes/nfs/server' },
  { kind: 'DaemonSet', path: 'spec/template/spec/containers/args' },
  { kind: 'DaemonSet', path: 'spec/template/spec/containers/command' },
  { kind: 'DaemonSet', path: 'spec/template/spec/containers/env/value' },
  { kind: 'DaemonSet', path: 'spec/template/spec/containers/volumeMounts/mountPath' },
  { kind: 'DaemonSet', path: 'spec/template/spec/initContainers/args' },
  { kind: 'DaemonSet', path: 'spec/template/spec/initContainers/command' },
  { kind: 'DaemonSet', path: 'spec/template/spec/initContainers/env/value' },
  { kind: 'DaemonSet', path: 'spec/template/spec/initContainers/volumeMounts/mountPath' },
  { kind: 'DaemonSet', path: 'spec/template/spec/volumes/nfs/server' },
  { kind: 'Deployment', path: 'spec/template/spec/containers/args' },
  { kind: 'Deployment', path: 'spec/template/spec/containers/command' },
  { kind: 'Deployment', path: 'spec/template/spec/containers/env/value' },
  { kind: 'Deployment', path: 'spec/template/spec/containers/volumeMounts/mountPath' },
  { kind: 'Deployment', path: 'spec/template/spec/initContainers/args' },
  { kind: 'Deployment', path: 'spec/template/spec/initContainers/command' },
  { kind: 'Deployment', path: 'spec/template/spec/initContainers/env/value' },
  { kind: 'Deployment', path: 'spec/template/spec/initContainers/volumeMounts/mountPath' },
  { kind: 'Deployment', path: 'spec/template/spec/volumes/nfs/server' },
  { kind: 'Deployment', path: 'spec/template/metadata/annotations' },
  { kind: 'Ingress', path: 'spec/rules/host' },
  { kind: 'Ingress', path: 'spec/tls/hosts' },
  { kind: 'Ingress', path: 'spec/tls/secretName' },
  { kind: 'Job', path: 'spec/template/spec/containers/args' },
  { kind: 'Job', path: 'spec/template/spec/containers/command' },
  { kind: 'Job', path: 'spec/template/spec/containers/env/value' },
  { kind: 'Job', path: 'spec/template/spec/containers/volumeMounts/mountPath' },
  { kind: 'Job', path: 'spec/template/spec/initContainers/args' },
  { kind: 'Job', path: 'spec/template/spec/initContainers/command' },
  { kind: 'Job', path: 'spec/template/spec/initContainers/env/value' },
  { kind: 'Job', path: 'spec/template/spec/initContainers/volumeMounts/mountPath' },
  { kind: 'Job', path: 'spec/template/spec/volumes/nfs/server' },
  { kind: 'Pod', path: 'spec/containers/args' },
  { kind: 'Pod', path: 'spec/containers/command' },
  { kind: 'Pod', path: 'spec/containers/env/value' },
  { kind: 'Pod', path: 'spec/containers/volumeMounts/mountPath' },
  { kind: 'Pod', path: 'spec/initContainers/args' },
  { kind: 'Pod', path: 'spec/initContainers/command' },
  { kind: 'Pod', path: 'spec/initContainers/env/value' },
  { kind: 'Pod', path: 'spec/initContainers/volumeMounts/mountPath' },
  { kind: 'Pod', path: 'spec/volumes/nfs/server' },
  { kind: 'ReplicaSet', path: 'spec/template/spec/containers/args' },
  { kind: 'ReplicaSet', path: 'spec/template/spec/containers/command' },
  { kind: 'ReplicaSet', path: 'spec/template/spec/containers/env/value' },
  { kind: 'ReplicaSet', path: 'spec/template/spec/containers/volumeMounts/mountPath' },
  { kind: 'ReplicaSet', path: 'spec/template/spec/initContainers/args' },
  { kind: 'ReplicaSet', path: 'spec/template/spec/initContainers/command' },
  { kind: 'ReplicaSet', path: 'spec/template/spec/initContainers/env/value' },
  { kind: 'ReplicaSet', path: 'spec/template/spec/initContainers/volumeMounts/mountPath' },
  { kind: 'ReplicaSet', path: 'spec/template/spec/volumes/nfs/server' },
  { kind: 'Service', path: 'spec/ports/port' },
  { kind: 'Service', path: 'spec/ports/targetPort' },
  { kind: 'StatefulSet', path: 'spec/template/spec/containers/args' },
  { kind: 'StatefulSet', path: 'spec/template/spec/containers/command' },
  { kind: 'StatefulSet', path: 'spec/template/spec/containers/env/value' },
  { kind: 'StatefulSet', path: 'spec/template/spec/containers/volumeMounts/mountPath' },
  { kind: 'StatefulSet', path: 'spec/template/spec/initContainers/args' },
  { kind: 'StatefulSet', path: 'spec/template/spec/initContainers/command' },
  { kind: 'StatefulSet', path: 'spec/template/spec/initContainers/env/value' },
  { kind: 'StatefulSet', path: 'spec/template/spec/initContainers/volumeMounts/mountPath' },
  { kind: 'StatefulSet', path: 'spec/volumeClaimTemplates/spec/nfs/server' },
  { kind: 'PersistentVolume', path: 'spec/nfs/server' },
  { path: 'metadata/labels' },
  { path: 'metadata/annotations' },
];

/** `nameReference`: for each referral target kind, the fields of other objects that hold its name. */
export const BUILTIN_NAME_REFERENCE: readonly NameBackReferences[] = [
  {
    gvk: { kind: 'Deployment' },
    fieldSpecs: [
      { kind: 'HorizontalPodAutoscaler', path: 'spec/scaleTargetRef/name' },
    ],
  },
  {
    gvk: { kind: 'ReplicationController' },
    fieldSpecs: [
      { kind: 'HorizontalPodAutoscaler', path: 'spec/scaleTargetRef/name' },
    ],
  },
  {
    gvk: { kind: 'ReplicaSet' },
    fieldSpecs: [
      { kind: 'HorizontalPodAutoscaler', path: 'spec/scaleTargetRef/name' },
    ],
  },
  {
    gvk: { kind: 'StatefulSet' },
    fieldSpecs: [
      { kind: 'HorizontalPodAutoscaler', path: 'spec/scaleTargetRef/name' },
    ],
  },
  {
    gvk: { version: 'v1', kind: 'ConfigMap' },
    fieldSpecs: [
      { version: 'v1', kind: 'Pod', path: 'spec/volumes/configMap/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/containers/env/valueFrom/configMapKeyRef/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/initContainers/env/valueFrom/configMapKeyRef/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/containers/envFrom/configMapRef/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/initContainers/envFrom/configMapRef/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/volumes/projected/sources/configMap/name' },
      { kind: 'PodTemplate', path: 'template/spec/volumes/configMap/name' },
      { kind: 'PodTemplate', path: 'template/spec/containers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'PodTemplate', path: 'template/spec/initContainers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'PodTemplate', path: 'template/spec/containers/envFrom/configMapRef/name' },
      { kind: 'PodTemplate', path: 'template/spec/initContainers/envFrom/configMapRef/name' },
      { kind: 'PodTemplate', path: 'template/spec/volumes/projected/sources/configMap/name' },
      { kind: 'Deployment', path: 'spec/template/spec/volumes/configMap/name' },
      { kind: 'Deployment', path: 'spec/template/spec/containers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'Deployment', path: 'spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'Deployment', path: 'spec/template/spec/containers/envFrom/configMapRef/name' },
      { kind: 'Deployment', path: 'spec/template/spec/initContainers/envFrom/configMapRef/name' },
      { kind: 'Deployment', path: 'spec/template/spec/volumes/projected/sources/configMap/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/volumes/configMap/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/containers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/containers/envFrom/configMapRef/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/initContainers/envFrom/configMapRef/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/volumes/projected/sources/configMap/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/volumes/configMap/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/containers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/containers/envFrom/configMapRef/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/initContainers/envFrom/configMapRef/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/volumes/projected/sources/configMap/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/volumes/configMap/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/containers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/containers/envFrom/configMapRef/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/initContainers/envFrom/configMapRef/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/volumes/projected/sources/configMap/name' },
      { kind: 'Job', path: 'spec/template/spec/volumes/configMap/name' },
      { kind: 'Job', path: 'spec/template/spec/containers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'Job', path: 'spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'Job', path: 'spec/template/spec/containers/envFrom/configMapRef/name' },
      { kind: 'Job', path: 'spec/template/spec/initContainers/envFrom/configMapRef/name' },
      { kind: 'Job', path: 'spec/template/spec/volumes/projected/sources/configMap/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/volumes/configMap/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/volumes/projected/sources/configMap/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/containers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/containers/envFrom/configMapRef/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/initContainers/envFrom/configMapRef/name' },
      { kind: 'Node', path: 'spec/configSource/configMap' },
      { kind: 'Role', path: 'rules/resourceNames' },
      { kind: 'ClusterRole', path: 'rules/resourceNames' },
      { kind: 'Ingress', path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap' },
    ],
  },
  {
    gvk: { version: 'v1', kind: 'Secret' },
    fieldSpecs: [
      { version: 'v1', kind: 'Pod', path: 'spec/volumes/secret/secretName' },
      { version: 'v1', kind: 'Pod', path: 'spec/containers/env/valueFrom/secretKeyRef/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/initContainers/env/valueFrom/secretKeyRef/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/containers/envFrom/secretRef/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/initContainers/envFrom/secretRef/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/imagePullSecrets/name' },
      { version: 'v1', kind: 'Pod', path: 'spec/volumes/projected/sources/secret/name' },
      { kind: 'PodTemplate', path: 'template/spec/volumes/secret/secretName' },
      { kind: 'PodTemplate', path: 'template/spec/containers/env/valueFrom/secretKeyRef/name' },
      { kind: 'PodTemplate', path: 'template/spec/initContainers/env/valueFrom/secretKeyRef/name' },
      { kind: 'PodTemplate', path: 'template/spec/containers/envFrom/secretRef/name' },
      { kind: 'PodTemplate', path: 'template/spec/initContainers/envFrom/secretRef/name' },
      { kind: 'PodTemplate', path: 'template/spec/imagePullSecrets/name' },
      { kind: 'PodTemplate', path: 'template/spec/volumes/projected/sources/secret/name' },
      { kind: 'Deployment', path: 'spec/template/spec/volumes/secret/secretName' },
      { kind: 'Deployment', path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name' },
      { kind: 'Deployment', path: 'spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name' },
      { kind: 'Deployment', path: 'spec/template/spec/containers/envFrom/secretRef/name' },
      { kind: 'Deployment', path: 'spec/template/spec/initContainers/envFrom/secretRef/name' },
      { kind: 'Deployment', path: 'spec/template/spec/imagePullSecrets/name' },
      { kind: 'Deployment', path: 'spec/template/spec/volumes/projected/sources/secret/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/volumes/secret/secretName' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/containers/envFrom/secretRef/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/initContainers/envFrom/secretRef/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/imagePullSecrets/name' },
      { kind: 'ReplicaSet', path: 'spec/template/spec/volumes/projected/sources/secret/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/volumes/secret/secretName' },
      { kind: 'DaemonSet', path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/containers/envFrom/secretRef/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/initContainers/envFrom/secretRef/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/imagePullSecrets/name' },
      { kind: 'DaemonSet', path: 'spec/template/spec/volumes/projected/sources/secret/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/volumes/secret/secretName' },
      { kind: 'StatefulSet', path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/containers/envFrom/secretRef/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/initContainers/envFrom/secretRef/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/imagePullSecrets/name' },
      { kind: 'StatefulSet', path: 'spec/template/spec/volumes/projected/sources/secret/name' },
      { kind: 'Job', path: 'spec/template/spec/volumes/secret/secretName' },
      { kind: 'Job', path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name' },
      { kind: 'Job', path: 'spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name' },
      { kind: 'Job', path: 'spec/template/spec/containers/envFrom/secretRef/name' },
      { kind: 'Job', path: 'spec/template/spec/initContainers/envFrom/secretRef/name' },
      { kind: 'Job', path: 'spec/template/spec/imagePullSecrets/name' },
      { kind: 'Job', path: 'spec/template/spec/volumes/projected/sources/secret/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/volumes/secret/secretName' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/volumes/projected/sources/secret/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/containers/env/valueFrom/secretKeyRef/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/containers/envFrom/secretRef/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/initContainers/envFrom/secretRef/name' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/imagePullSecrets/name' },
      { kind: 'Ingress', path: 'spec/tls/secretName' },
      { kind: 'Ingress', path: 'metadata/annotations/ingress.kubernetes.io\\/auth-secret' },
      { kind: 'Ingress', path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret' },
      { kind: 'Ingress', path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret' },
      { kind: 'Ingress', path: 'spec/tls/secretName' },
      { kind: 'ServiceAccount', path: 'imagePullSecrets/name' },
      { kind: 'StorageClass', path: 'parameters/secretName' },
      { kind: 'StorageClass', path: 'parameters/adminSecretName' },
      { kind: 'StorageClass', path: 'parameters/userSecretName' },
      { kind: 'StorageClass', path: 'parameters/secretRef' },
      { kind: 'Role', path: 'rules/resourceNames' },
      { kind: 'ClusterRole', path: 'rules/resourceNames' },
      { group: 'serving.knative.dev', version: 'v1', kind: 'Service', path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name' },
      { kind: 'PersistentVolume', path: 'spec/azureFile/secretName' },
    ],
  },
  {
    gvk: { version: 'v1', kind: 'Service' },
    fieldSpecs: [
      { group: 'apps', kind: 'StatefulSet', path: 'spec/serviceName' },
      { kind: 'Ingress', path: 'spec/rules/http/paths/backend/serviceName' },
      { kind: 'Ingress', path: 'spec/backend/serviceName' },
      { kind: 'Ingress', path: 'spec/rules/http/paths/backend/service/name' },
      { kind: 'Ingress', path: 'spec/defaultBackend/service/name' },
      { group: 'apiregistration.k8s.io', kind: 'APIService', path: 'spec/service/name' },
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', path: 'webhooks/clientConfig/service' },
      { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', path: 'webhooks/clientConfig/service' },
    ],
  },
  {
    gvk: { group: 'rbac.authorization.k8s.io', kind: 'Role' },
    fieldSpecs: [
      { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding', path: 'roleRef/name' },
    ],
  },
  {
    gvk: { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
    fieldSpecs: [
      { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding', path: 'roleRef/name' },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding', path: 'roleRef/name' },
    ],
  },
  {
    gvk: { version: 'v1', kind: 'ServiceAccount' },
    fieldSpecs: [
      { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding', path: 'subjects' },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding', path: 'subjects' },
      { kind: 'Pod', path: 'spec/serviceAccountName' },
      { kind: 'StatefulSet', path: 'spec/template/spec/serviceAccountName' },
      { kind: 'Deployment', path: 'spec/template/spec/serviceAccountName' },
      { kind: 'ReplicationController', path: 'spec/template/spec/serviceAccountName' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/serviceAccountName' },
      { kind: 'Job', path: 'spec/template/spec/serviceAccountName' },
      { kind: 'DaemonSet', path: 'spec/template/spec/serviceAccountName' },
    ],
  },
  {
    gvk: { version: 'v1', kind: 'PersistentVolumeClaim' },
    fieldSpecs: [
      { kind: 'Pod', path: 'spec/volumes/persistentVolumeClaim/claimName' },
      { kind: 'StatefulSet', path: 'spec/template/spec/volumes/persistentVolumeClaim/claimName' },
      { kind: 'Deployment', path: 'spec/template/spec/volumes/persistentVolumeClaim/claimName' },
      { kind: 'ReplicationController', path: 'spec/template/spec/volumes/persistentVolumeClaim/claimName' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName' },
      { kind: 'Job', path: 'spec/template/spec/volumes/persistentVolumeClaim/claimName' },
      { kind: 'DaemonSet', path: 'spec/template/spec/volumes/persistentVolumeClaim/claimName' },
    ],
  },
  {
    gvk: { version: 'v1', kind: 'PersistentVolume' },
    fieldSpecs: [
      { kind: 'PersistentVolumeClaim', path: 'spec/volumeName' },
      { kind: 'ClusterRole', path: 'rules/resourceNames' },
    ],
  },
  {
    gvk: { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass' },
    fieldSpecs: [
      { kind: 'PersistentVolume', path: 'spec/storageClassName' },
      { kind: 'PersistentVolumeClaim', path: 'spec/storageClassName' },
      { kind: 'StatefulSet', path: 'spec/volumeClaimTemplates/spec/storageClassName' },
    ],
  },
  {
    gvk: { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass' },
    fieldSpecs: [
      { kind: 'Pod', path: 'spec/priorityClassName' },
      { kind: 'StatefulSet', path: 'spec/template/spec/priorityClassName' },
      { kind: 'Deployment', path: 'spec/template/spec/priorityClassName' },
      { kind: 'ReplicationController', path: 'spec/template/spec/priorityClassName' },
      { kind: 'CronJob', path: 'spec/jobTemplate/spec/template/spec/priorityClassName' },
      { kind: 'Job', path: 'spec/template/spec/priorityClassName' },
      { kind: 'DaemonSet', path: 'spec/template/spec/priorityClassName' },
    ],
  },
  {
    gvk: { group: 'networking.k8s.io/v1', version: 'v1', kind: 'IngressClass' },
    fieldSpecs: [
      { kind: 'Ingress', path: 'spec/ingressClassName' },
    ],
  },
  {
    gvk: { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicy' },
    fieldSpecs: [
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicyBinding', path: 'spec/policyName' },
    ],
  },
];

/** `images` */
export const BUILTIN_IMAGES: readonly FieldSpec[] = [
  { path: 'spec/containers[]/image', create: true },
  { path: 'spec/initContainers[]/image', create: true },
  { path: 'spec/volumes[]/image/reference', create: true },
  { path: 'spec/template/spec/containers[]/image', create: true },
  { path: 'spec/template/spec/initContainers[]/image', create: true },
  { path: 'spec/template/spec/volumes[]/image/reference', create: true },
];

/** `replicas` */
export const BUILTIN_REPLICAS: readonly FieldSpec[] = [
  { kind: 'Deployment', path: 'spec/replicas', create: true },
  { kind: 'ReplicationController', path: 'spec/replicas', create: true },
  { kind: 'ReplicaSet', path: 'spec/replicas', create: true },
  { kind: 'StatefulSet', path: 'spec/replicas', create: true },
];
