import { ImportedBoms } from './boms';
import type { Artifact } from './coordinates';

const pom = (groupId: string, artifactId: string, version: string): Artifact => ({ groupId, artifactId, version, extension: 'pom' });
const jar = (groupId: string, artifactId: string, version: string): Artifact => ({ groupId, artifactId, version, extension: 'jar' });

/** A platform BOM that imports library BOMs, then a BOM for one project of the platform, as Maven fetches them. */
function platformImports(): ImportedBoms {
  const boms = new ImportedBoms();
  boms.fetched(jar('org.sample.ext', 'staging-extension', '1.6.3'));
  boms.fetched(pom('org.example.cloud', 'cloud-shared-dependencies', '3.12.0'));
  boms.fetched(pom('org.example.cloud', 'cloud-shared-config', '1.5.5'));
  boms.fetched(pom('org.sample.collect', 'collect-bom', '32.0.1'));
  boms.fetched(pom('org.sample.http-client', 'http-client-bom', '1.43.3'));
  boms.fetched(pom('org.example.cloud', 'cloud-queue-bom', '1.123.15'));
  return boms;
}

describe('ImportedBoms.pinning', () => {
  it('given a BOM named for one project of its owner, blames it for that project’s artifacts', () => {
    expect(platformImports().pinning('org.example.api.grpc', 'proto-cloud-queue-v1', '1.105.15')).toBe('org.example.cloud:cloud-queue-bom');
  });

  it('given a library’s own BOM at the artifact’s version, blames the BOM that began its run of imports', () => {
    expect(platformImports().pinning('org.sample.collect', 'collect', '32.0.1')).toBe('org.example.cloud:cloud-shared-dependencies');
  });

  it('given a library’s BOM at another version, blames none', () => {
    expect(platformImports().pinning('org.sample.collect', 'collect', '31.1')).toBeUndefined();
  });

  it('given a project BOM of another owner, blames none', () => {
    expect(platformImports().pinning('net.other.queue', 'queue-client', '2.0')).toBeUndefined();
  });

  it('does not take a word its group already says (`sample` of `org.sampleframework`) for a project it is named after', () => {
    const boms = new ImportedBoms();
    boms.fetched(pom('org.sampleframework.boot', 'sample-boot-dependencies', '3.1.0'));
    expect(boms.pinning('org.sampleframework.data', 'sample-data-core', '2.0.0')).toBeUndefined();
    expect(boms.pinning('org.sampleframework.boot', 'sample-boot-starter', '3.1.0')).toBe(
      'org.sampleframework.boot:sample-boot-dependencies',
    );
  });

  it('starts a new run after a jar, and ignores BOMs fetched once the models are read', () => {
    const boms = new ImportedBoms();
    boms.fetched(pom('org.example.stack', 'stack-dependencies', '5.0.0'));
    boms.fetched(jar('org.sample.ext', 'staging-extension', '1.6.3'));
    boms.fetched(pom('org.sample.json', 'json-bom', '2.14.2'));
    boms.modelsRead();
    boms.fetched(pom('org.sample.xml', 'xml-bom', '4.0.1'));
    expect(boms.pinning('org.sample.json', 'json-core', '2.14.2')).toBe('org.sample.json:json-bom');
    expect(boms.pinning('org.sample.xml', 'xml-core', '4.0.1')).toBeUndefined();
  });
});
