// One model's lineage: its base models, the datasets and shards it was trained on,
// the records packed into them and their paths back to the public posts and authors.
// In Neo4j Browser: :param model => 'model:model-a'   then run this query.
MATCH (m:Model {id: $model})-[:FINETUNED_FROM*0..]->(base:Model)-[:TRAINED_ON]->(source)
MATCH (source)<-[:PART_OF*0..1]-(shard:Shard)<-[:PACKED_INTO]-(record:Record)
MATCH path = (record)-[:DERIVED_FROM*1..]->(post:Post)<-[:AUTHORED]-(author:Subject)
RETURN m, base, source, shard, path
