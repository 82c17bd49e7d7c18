// Rcu: asks MirrorMaker 2's own client library (connect-mirror-client,
// RemoteClusterUtils) about a cluster, to prove ferry's internal topics
// read as MM2's. Used by regress/t/090_failover.pl.
//
//   java Rcu BOOTSTRAP hops ALIAS              replication hops to ALIAS
//   java Rcu BOOTSTRAP upstream                upstream cluster aliases
//   java Rcu BOOTSTRAP translate ALIAS GROUP   "topic partition offset" lines
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;

public class Rcu {
    public static void main(String[] args) throws Exception {
        Map<String, Object> props = Map.of("bootstrap.servers", args[0]);
        switch (args[1]) {
        case "hops":
            System.out.println(RemoteClusterUtils.replicationHops(props, args[2]));
            break;
        case "upstream":
            System.out.println(new java.util.TreeSet<>(RemoteClusterUtils.upstreamClusters(props)));
            break;
        case "translate": {
            Map<TopicPartition, OffsetAndMetadata> m =
                RemoteClusterUtils.translateOffsets(props, args[2], args[3], Duration.ofSeconds(30));
            Map<String, Long> sorted = new TreeMap<>();
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : m.entrySet())
                sorted.put(e.getKey().topic() + " " + e.getKey().partition(), e.getValue().offset());
            for (Map.Entry<String, Long> e : sorted.entrySet())
                System.out.println(e.getKey() + " " + e.getValue());
            break;
        }
        default:
            System.err.println("unknown command " + args[1]);
            System.exit(2);
        }
    }
}
