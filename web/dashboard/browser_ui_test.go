package dashboard_test

// Steps of TestDashboardEndToEnd for the trade form's error state.

// tradeFormClean: no refusal shown and no field marked invalid.
const tradeFormClean = `(() => {
	const r = document.getElementById('trade-result');
	return !r.classList.contains('err') && r.textContent === '' &&
		!document.getElementById('trade-symbol').hasAttribute('aria-invalid') &&
		!document.getElementById('trade-qty').hasAttribute('aria-invalid');
})()`

// refusedSymbol: the form shows an unknown_symbol refusal and marks the symbol.
const refusedSymbol = `(() => {
	const r = document.getElementById('trade-result');
	const code = r.querySelector('code');
	return r.classList.contains('err') && code && code.textContent === 'unknown_symbol' &&
		document.getElementById('trade-symbol').getAttribute('aria-invalid') === 'true';
})()`
