/**
 * Which built-in kinds are cluster-scoped, by exact apiVersion + kind. Kustomize takes this from
 * the Kubernetes 1.21 OpenAPI (precomputed in kyaml); an apiVersion/kind not listed here is
 * treated as namespaced, exactly as kustomize does (so a CRD's cluster-scoped kind is not known).
 */
const CLUSTER_SCOPED = new Set<string>([
  'admissionregistration.k8s.io/v1 MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1beta1 MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1beta1 ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding',
  'apiextensions.k8s.io/v1 CustomResourceDefinition',
  'apiextensions.k8s.io/v1beta1 CustomResourceDefinition',
  'apiregistration.k8s.io/v1 APIService',
  'apiregistration.k8s.io/v1beta1 APIService',
  'certificates.k8s.io/v1 CertificateSigningRequest',
  'certificates.k8s.io/v1beta1 CertificateSigningRequest',
  'flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema',
  'flowcontrol.apiserver.k8s.io/v1beta1 PriorityLevelConfiguration',
  'networking.k8s.io/v1 IngressClass',
  'networking.k8s.io/v1beta1 IngressClass',
  'node.k8s.io/v1 RuntimeClass',
  'node.k8s.io/v1beta1 RuntimeClass',
  'policy/v1beta1 PodSecurityPolicy',
  'rbac.authorization.k8s.io/v1 ClusterRole',
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1beta1 ClusterRole',
  'rbac.authorization.k8s.io/v1beta1 ClusterRoleBinding',
  'scheduling.k8s.io/v1 PriorityClass',
  'scheduling.k8s.io/v1beta1 PriorityClass',
  'storage.k8s.io/v1 CSIDriver',
  'storage.k8s.io/v1 CSINode',
  'storage.k8s.io/v1 StorageClass',
  'storage.k8s.io/v1 VolumeAttachment',
  'storage.k8s.io/v1beta1 CSIDriver',
  'storage.k8s.io/v1beta1 CSINode',
  'storage.k8s.io/v1beta1 StorageClass',
  'storage.k8s.io/v1beta1 VolumeAttachment',
  'v1 ComponentStatus',
  'v1 Namespace',
  'v1 Node',
  'v1 NodeProxyOptions',
  'v1 PersistentVolume',
]);

/** The same table by kind, then apiVersion: asked for every resource id, so no string is built to ask. */
const CLUSTER_SCOPED_BY_KIND = new Map<string, Set<string>>();
for (const entry of CLUSTER_SCOPED) {
  const space = entry.indexOf(' ');
  const kind = entry.slice(space + 1);
  let apiVersions = CLUSTER_SCOPED_BY_KIND.get(kind);
  if (apiVersions === undefined) CLUSTER_SCOPED_BY_KIND.set(kind, (apiVersions = new Set()));
  apiVersions.add(entry.slice(0, space));
}

export function isClusterScopedKind(apiVersion: string, kind: string): boolean {
  return CLUSTER_SCOPED_BY_KIND.get(kind)?.has(apiVersion) ?? false;
}
