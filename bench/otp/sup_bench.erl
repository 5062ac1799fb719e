%% The Erlang/OTP side of crates/hardy-supervisor/benches/otp_compare.rs.
%%
%% Measures the same figures as the Rust program, doing the same work:
%%   - start: N dynamic children (simple_one_for_one), one synchronous start_child each
%%     (it returns after the child's init/1 ran, like the Rust side's awaited start_child);
%%   - memory per idle child: the RSS delta of this OS process (/proc/self/statm, as on the
%%     Rust side) over the N starts, / N; erlang:memory(total) is printed too, for reference;
%%   - shutdown: the dynamic supervisor stops its N children (5 s shutdown each);
%%   - restart latency: a gen_server child crashes in handle_cast (erlang:error), the time
%%     runs from the cast until this process receives the new incarnation's message sent
%%     from its init/1. R restarts in rounds of 10 per supervisor (intensity 10, period 1):
%%     the restart window never holds more than 10 entries, on both sides;
%%   - the same restart latency (p50) when the child stops with {stop, crash, State}
%%     instead of raising (the Rust side: exit(reason) + ctx.stop(), no panic);
%%   - restart storm: S dynamic children crash at once (a cast each); the time runs until
%%     this process has received S messages from the new incarnations' init/1.
%% Prints one "key value" line per figure. The logger is silenced: crash reports would
%% measure the logger, not the supervisor (the Rust side silences its panic hook).
%%
%% Run: erlc -o /tmp sup_bench.erl && erl -noshell -pa /tmp -eval 'sup_bench:main(100000, 20000, 1000), halt().'
-module(sup_bench).
-export([main/0, main/3, init/1, start_worker/1,
         handle_call/3, handle_cast/2, handle_info/2]).

main() -> main(100000, 20000, 1000).

main(N, R, S) ->
    logger:set_primary_config(level, none),
    process_flag(trap_exit, true),
    io:format("schedulers ~b~n", [erlang:system_info(schedulers_online)]),
    {ok, Sup} = supervisor:start_link(?MODULE, {dynamic, 3, idle}),
    garbage_collect(),
    Rss0 = rss_bytes(),
    M0 = erlang:memory(total),
    T0 = now_ns(),
    start_n(Sup, N, []),
    T1 = now_ns(),
    M1 = erlang:memory(total),
    Rss1 = rss_bytes(),
    io:format("start_us_per_child ~.3f~n", [(T1 - T0) / N / 1000]),
    io:format("memory_bytes_per_child ~.1f~n", [(Rss1 - Rss0) / N]),
    io:format("erlang_memory_bytes_per_child ~.1f~n", [(M1 - M0) / N]),
    T2 = now_ns(),
    stop(Sup),
    T3 = now_ns(),
    io:format("shutdown_ms ~.3f~n", [(T3 - T2) / 1000000]),
    Lat = lists:sort(restart_rounds(R, crash, [])),
    io:format("restart_p50_us ~.3f~n", [percentile(Lat, 0.50) / 1000]),
    io:format("restart_p99_us ~.3f~n", [percentile(Lat, 0.99) / 1000]),
    Stop = lists:sort(restart_rounds(R, stop, [])),
    io:format("stop_restart_p50_us ~.3f~n", [percentile(Stop, 0.50) / 1000]),
    io:format("storm_ms ~.3f~n", [storm(S) / 1000000]),
    ok.

start_n(_, 0, _) -> ok;
start_n(Sup, K, Arg) ->
    {ok, _} = supervisor:start_child(Sup, Arg),
    start_n(Sup, K - 1, Arg).

stop(Sup) ->
    exit(Sup, shutdown),
    receive {'EXIT', Sup, _} -> ok end.

%% Rounds of 10 restarts, each round under a fresh supervisor (intensity 10, period 1).
%% How = crash (raise in handle_cast) or stop ({stop, crash, State}: no exception).
restart_rounds(R, _, Acc) when R =< 0 -> Acc;
restart_rounds(R, How, Acc) ->
    K = min(10, R),
    {ok, Sup} = supervisor:start_link(?MODULE, {restart, self()}),
    Pid0 = receive {started, P} -> P end,
    Acc1 = restart_loop(K, How, Pid0, Acc),
    stop(Sup),
    restart_rounds(R - K, How, Acc1).

restart_loop(0, _, _, Acc) -> Acc;
restart_loop(K, How, Pid, Acc) ->
    T0 = now_ns(),
    gen_server:cast(Pid, How),
    receive {started, New} ->
        restart_loop(K - 1, How, New, [now_ns() - T0 | Acc])
    end.

storm(S) ->
    {ok, Sup} = supervisor:start_link(?MODULE, {dynamic, 10000, {notify, self()}}),
    start_n(Sup, S, []),
    Pids = [receive {started, P} -> P end || _ <- lists:seq(1, S)],
    T0 = now_ns(),
    [gen_server:cast(P, crash) || P <- Pids],
    [receive {started, _} -> ok end || _ <- lists:seq(1, S)],
    T1 = now_ns(),
    stop(Sup),
    T1 - T0.

rss_bytes() ->
    {ok, Statm} = file:read_file("/proc/self/statm"),
    [_, Resident | _] = binary:split(Statm, <<" ">>, [global]),
    binary_to_integer(Resident) * 4096.

percentile(Sorted, P) ->
    lists:nth(max(1, round(P * length(Sorted))), Sorted).

now_ns() -> erlang:monotonic_time(nanosecond).

start_worker(Arg) -> gen_server:start_link(?MODULE, {worker, Arg}, []).

%% init/1 serves both behaviours: the supervisors and the workers.
init({dynamic, Intensity, Arg}) ->
    {ok, {#{strategy => simple_one_for_one, intensity => Intensity, period => 5},
          [#{id => w, start => {?MODULE, start_worker, [Arg]},
             restart => permanent, shutdown => 5000, type => worker}]}};
init({restart, Parent}) ->
    {ok, {#{strategy => one_for_one, intensity => 10, period => 1},
          [#{id => w, start => {?MODULE, start_worker, [{notify, Parent}]},
             restart => permanent, shutdown => 5000, type => worker}]}};
init({worker, idle}) ->
    {ok, idle};
init({worker, {notify, Parent}}) ->
    Parent ! {started, self()},
    {ok, Parent}.

handle_call(_, _, S) -> {reply, ok, S}.
handle_cast(crash, _) -> erlang:error(crash);
handle_cast(stop, S) -> {stop, crash, S};
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.
