/* app/gen.h: `sluice gen`, the traffic generator (sendmmsg mode). */
#ifndef SL_APP_GEN_H
#define SL_APP_GEN_H

/* sl_cmd_gen runs `sluice gen` with argv[0] == "gen":

     --dst IP:PORT[,PORT...]  required; several ports: packet i goes to the
                              (i mod n)-th port
     --count N                packets to send (default 1000)
     --rate PPS               0 (default): as fast as possible
     --dup R --bad-sig R --malformed R
                              ratios in [0, 1], sum <= 1 (default 0)
     --seed S                 default: from the clock (printed on stderr)
     --sigs N                 signatures per transaction, 1..4 (default random)
     --size B                 transaction bytes, up to 1232 (default random;
                              below the smallest shape, ~215 bytes with one
                              signer, the smallest shape is sent)
     --version any|legacy|v0  message version (default any)
     --pool N                 distinct packets built before sending
                              (default min(count, 131072); beyond, packets
                              cycle and valid repeats count as duplicates)
     --threads N              signing threads (default: online CPUs)
     --src-port P             source port (default ephemeral)
     --interface IF           AF_XDP transmit: not built yet (exit 1)

   Prints one JSON line on stdout once sending has started (also after a
   send failure or SIGINT/SIGTERM, counting what the kernel accepted):
   {"sent": N, "valid_unique": a, "duplicates": b, "bad_sig": c,
    "malformed": d, "seconds": s, "pps": r}; seconds and pps cover the
   send loop only (signing happens before it).
   Returns the exit status: 0 sent (or interrupted), 1 runtime failure (the
   message on stderr), 2 bad usage (message and usage on stderr). */
int sl_cmd_gen(int argc, char **argv);

#endif
