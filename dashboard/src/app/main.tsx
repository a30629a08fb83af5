// The bank/operator dashboard: hash routes, one context of configured gateways, live updates.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient, type GatewayConfig } from './api.js';
import { AppContext } from './context.js';
import { connect, connectedCount, onStatus } from './live.js';
import { CertificatesPage } from './pages/certificates.js';
import { DevicesPage } from './pages/devices.js';
import { LotPage } from './pages/lot.js';
import { PortfolioPage } from './pages/portfolio.js';
import { QuarantinePage } from './pages/quarantine.js';
import { SettingsPage } from './pages/settings.js';
import { loadGateways, loadRpcOverride, saveGateways, saveRpcOverride } from './settings.js';
import './styles.css';

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const onChange = () => setHash(location.hash || '#/');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

const NAV: [string, string][] = [
  ['#/', 'Portfolio'],
  ['#/devices', 'Devices'],
  ['#/quarantine', 'Quarantine'],
  ['#/certificates', 'Certificates'],
  ['#/settings', 'Gateways & tokens'],
];

function App() {
  const hash = useHash();
  const [gateways, setGateways] = useState<GatewayConfig[]>(loadGateways);
  const [rpcOverride, setRpcOverride] = useState(loadRpcOverride);
  const clients = useMemo(() => gateways.map((g) => new ApiClient(g)), [gateways]);
  const [live, setLive] = useState(0);
  useEffect(() => onStatus(() => setLive(connectedCount())), []);
  useEffect(() => connect(clients), [clients]);

  const [path, ...rest] = hash.slice(2).split('/');
  const missingToken = gateways.some((g) => !g.token);
  let page;
  if (path === 'lot' && rest.length >= 2) {
    page = <LotPage gatewayIndex={Number(rest[0])} lotId={decodeURIComponent(rest[1]!)} />;
  } else if (path === 'devices') page = <DevicesPage />;
  else if (path === 'quarantine') page = <QuarantinePage />;
  else if (path === 'certificates') page = <CertificatesPage />;
  else if (path === 'settings' || missingToken) {
    page = (
      <SettingsPage
        gateways={gateways}
        rpcOverride={rpcOverride}
        onSave={(next, rpc) => {
          saveGateways(next);
          saveRpcOverride(rpc);
          setGateways(next);
          setRpcOverride(rpc);
          location.hash = '#/';
        }}
      />
    );
  } else page = <PortfolioPage />;

  return (
    <AppContext.Provider value={{ clients, rpcOverride }}>
      <header class="top">
        <span class="brand">PledgeGuard</span>
        <nav>
          {NAV.map(([href, text]) => (
            <a href={href} class={hash === href ? 'active' : ''} key={href}>
              {text}
            </a>
          ))}
        </nav>
        <span class={`live ${live > 0 ? 'on' : ''}`} data-testid="live" title="live updates (SSE)">
          {live > 0 ? `live ${live}/${clients.length}` : 'offline'}
        </span>
      </header>
      <main>{page}</main>
    </AppContext.Provider>
  );
}

render(<App />, document.getElementById('app')!);
