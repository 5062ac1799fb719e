%% The Erlang/OTP side of crates/hardy-supervisor/benches/otp_compare.rs.
%%
%% Measures the same four figures as the Rust program, with the same shapes:
%%   - start N dynamic children (simple_one_for_one, one synchronous start_child each);
%%   - memory per idle child (erlang:memory(total) delta / N);
%%   - shut the dynamic supervisor down with its N children;
%%   - restart latency of one killed child: exit(Pid, kill) until the new incarnation's
%%     init has run (it messages the benchmark process), p50/p99 over R restarts.
%% Prints one "key value" line per figure. The logger is silenced: 20,000 crash reports
%% would measure the logger, not the supervisor (the Rust side silences its panic hook).
%%
%% Run: erlc -o /tmp sup_bench.erl && erl -noshell -pa /tmp -eval 'sup_bench:main(100000, 20000), halt().'
-module(sup_bench).
-export([main/0, main/2, init/1, start_worker/1,
         handle_call/3, handle_cast/2, handle_info/2]).

main() -> main(100000, 20000).

main(N, R) ->
    logger:set_primary_config(level, none),
    process_flag(trap_exit, true),
    {ok, Sup} = supervisor:start_link(?MODULE, dynamic),
    garbage_collect(),
    M0 = erlang:memory(total),
    T0 = now_ns(),
    start_n(Sup, N),
    T1 = now_ns(),
    M1 = erlang:memory(total),
    io:format("start_us_per_child ~.3f~n", [(T1 - T0) / N / 1000]),
    io:format("memory_bytes_per_child ~.1f~n", [(M1 - M0) / N]),
    T2 = now_ns(),
    exit(Sup, shutdown),
    receive {'EXIT', Sup, _} -> ok end,
    T3 = now_ns(),
    io:format("shutdown_ms ~.3f~n", [(T3 - T2) / 1000000]),
    {ok, Sup2} = supervisor:start_link(?MODULE, {restart, self()}),
    Pid0 = receive {started, P} -> P end,
    Lat = lists:sort(restart_loop(R, Pid0, [])),
    io:format("restart_p50_us ~.3f~n", [percentile(Lat, 0.50) / 1000]),
    io:format("restart_p99_us ~.3f~n", [percentile(Lat, 0.99) / 1000]),
    exit(Sup2, shutdown),
    receive {'EXIT', Sup2, _} -> ok end,
    ok.

start_n(_, 0) -> ok;
start_n(Sup, K) ->
    {ok, _} = supervisor:start_child(Sup, []),
    start_n(Sup, K - 1).

restart_loop(0, _, Acc) -> Acc;
restart_loop(K, Pid, Acc) ->
    T0 = now_ns(),
    exit(Pid, kill),
    receive {started, New} ->
        restart_loop(K - 1, New, [now_ns() - T0 | Acc])
    end.

percentile(Sorted, P) ->
    lists:nth(max(1, round(P * length(Sorted))), Sorted).

now_ns() -> erlang:monotonic_time(nanosecond).

start_worker(Arg) -> gen_server:start_link(?MODULE, {worker, Arg}, []).

%% init/1 serves both behaviours: the supervisors and the workers.
init(dynamic) ->
    {ok, {#{strategy => simple_one_for_one, intensity => 3, period => 5},
          [#{id => w, start => {?MODULE, start_worker, [idle]},
             restart => permanent, shutdown => 5000, type => worker}]}};
init({restart, Parent}) ->
    {ok, {#{strategy => one_for_one, intensity => 1000000, period => 1},
          [#{id => w, start => {?MODULE, start_worker, [{notify, Parent}]},
             restart => permanent, shutdown => 5000, type => worker}]}};
init({worker, idle}) ->
    {ok, idle};
init({worker, {notify, Parent}}) ->
    Parent ! {started, self()},
    {ok, Parent}.

handle_call(_, _, S) -> {reply, ok, S}.
handle_cast(_, S) -> {noreply, S}.
handle_info(_, S) -> {noreply, S}.
